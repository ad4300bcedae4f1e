#include "protocol.hpp"

#include <limits>

namespace pcirig::agent {

namespace {

struct FieldError {
  std::string message;
};

// An optional field: absent and null both mean "the default".
bool given(const nlohmann::json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

int read_count(const nlohmann::json& j, const char* key) {
  if (!given(j, key)) return 0;
  const auto& v = j[key];
  if (!v.is_number_integer()) throw FieldError{std::string("field '") + key + "' must be an integer"};
  auto n = v.get<std::int64_t>();
  if (n < 0 || n > 1024) throw FieldError{std::string("field '") + key + "' out of range 0..1024"};
  return static_cast<int>(n);
}

std::string read_string(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) throw FieldError{std::string("missing field '") + key + "'"};
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  // Slot names are numbers in sysfs; accept 3 as well as "3".
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  throw FieldError{std::string("field '") + key + "' must be a string"};
}

WorkloadSpec parse_workload(const nlohmann::json& j) {
  WorkloadSpec s;
  if (j.contains("seed")) {
    const auto& v = j["seed"];
    if (v.is_number_unsigned()) s.seed = v.get<std::uint64_t>();
    else if (v.is_number_integer()) s.seed = static_cast<std::uint64_t>(v.get<std::int64_t>());
    else throw FieldError{"field 'seed' must be an integer"};
  }
  s.readers = read_count(j, "readers");
  s.resetters = read_count(j, "resetters");
  s.rescanners = read_count(j, "rescanners");
  s.binders = read_count(j, "binders");
  s.vfio = read_count(j, "vfio");
  if (given(j, "reset_interval_ms")) {
    const auto& v = j["reset_interval_ms"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 3'600'000)
      throw FieldError{"field 'reset_interval_ms' must be an integer 0..3600000"};
    s.reset_interval_ms = static_cast<int>(v.get<std::int64_t>());
  }
  if (given(j, "match")) {
    if (!j["match"].is_array()) throw FieldError{"field 'match' must be an array of \"vendor:device\" or null"};
    std::vector<std::string> m;
    for (const auto& e : j["match"]) {
      if (!e.is_string()) throw FieldError{"field 'match' entries must be strings \"vendor:device\""};
      std::string v = e.get<std::string>();
      auto colon = v.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
        throw FieldError{"match entry '" + v + "' is not \"vendor:device\""};
      // Normalise "0x1af4:0x1041" and "1AF4:1041" to the form sysfs gives.
      auto norm = [](std::string h) {
        if (h.rfind("0x", 0) == 0 || h.rfind("0X", 0) == 0) h = h.substr(2);
        for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return h;
      };
      m.push_back(norm(v.substr(0, colon)) + ":" + norm(v.substr(colon + 1)));
    }
    s.match = std::move(m);
  }
  if (given(j, "read_sizes")) {
    const auto& v = j["read_sizes"];
    if (!v.is_array() || v.empty()) throw FieldError{"field 'read_sizes' must be a non-empty array of 1, 2, 4 or 0"};
    s.read_sizes.clear();
    for (const auto& e : v) {
      if (!e.is_number_integer()) throw FieldError{"field 'read_sizes' entries must be 1, 2, 4 or 0 (whole space)"};
      auto b = e.get<std::int64_t>();
      if (b != 0 && b != 1 && b != 2 && b != 4) throw FieldError{"field 'read_sizes' entries must be 1, 2, 4 or 0 (whole space)"};
      s.read_sizes.push_back(static_cast<int>(b));
    }
  }
  if (given(j, "pin_cpus")) {
    if (!j["pin_cpus"].is_boolean()) throw FieldError{"field 'pin_cpus' must be a boolean"};
    s.pin_cpus = j["pin_cpus"].get<bool>();
  }
  if (given(j, "readers_on")) {
    const auto& v = j["readers_on"];
    if (!v.is_string() || (v != "all" && v != "targets")) throw FieldError{"field 'readers_on' must be \"all\" or \"targets\""};
    s.read_targets_only = v == "targets";
  }
  if (given(j, "reset_method")) {
    const auto& v = j["reset_method"];
    if (!v.is_string() || v.get<std::string>().find_first_of("/\n") != std::string::npos)
      throw FieldError{"field 'reset_method' must be a reset method name such as \"pm\""};
    s.reset_method = v.get<std::string>();
  }
  return s;
}

}  // namespace

std::variant<Command, ParseError> parse_command(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ParseError{nullptr, "malformed JSON"};
  if (!j.is_object()) return ParseError{nullptr, "a command must be a JSON object"};
  Json id = j.contains("id") ? Json(j["id"]) : Json(nullptr);
  if (!j.contains("type") || !j["type"].is_string()) return ParseError{id, "missing string field 'type'"};
  const std::string type = j["type"].get<std::string>();
  try {
    Command c{id, StopCmd{}};
    if (type == "workload") {
      c.body = WorkloadCmd{parse_workload(j)};
    } else if (type == "stop") {
      c.body = StopCmd{};
    } else if (type == "devices") {
      c.body = DevicesCmd{};
    } else if (type == "ping") {
      c.body = PingCmd{};
    } else if (type == "settle") {
      if (!j.contains("limit_ms") || !j["limit_ms"].is_number_integer() || j["limit_ms"].get<int64_t>() < 0 ||
          j["limit_ms"].get<int64_t>() > 600000)
        throw FieldError{"field 'limit_ms' must be an integer from 0 to 600000"};
      c.body = SettleCmd{int(j["limit_ms"].get<int64_t>())};
    } else if (type == "slot_power") {
      SlotPowerCmd sp;
      sp.slot = read_string(j, "slot");
      if (sp.slot.empty() || sp.slot.find('/') != std::string::npos || sp.slot == "." || sp.slot == "..")
        throw FieldError{"field 'slot' is not a slot name"};
      if (!j.contains("on") || !j["on"].is_boolean()) throw FieldError{"field 'on' must be true or false"};
      sp.on = j["on"].get<bool>();
      c.body = sp;
    } else if (type == "exec") {
      if (!j.contains("argv") || !j["argv"].is_array() || j["argv"].empty())
        throw FieldError{"field 'argv' must be a non-empty array of strings"};
      ExecCmd e;
      for (const auto& a : j["argv"]) {
        if (!a.is_string()) throw FieldError{"field 'argv' must be a non-empty array of strings"};
        e.argv.push_back(a.get<std::string>());
      }
      c.body = e;
    } else {
      return ParseError{id, "unknown command type '" + type + "'"};
    }
    return c;
  } catch (const FieldError& e) {
    return ParseError{id, type + ": " + e.message};
  }
}

Json ready_message(const std::string& kernel, int cpus, const std::vector<PciDevice>& devices, double uptime) {
  Json j;
  j["type"] = "ready";
  j["kernel"] = kernel;
  j["cpus"] = cpus;
  j["devices"] = Json::array();
  for (const auto& d : devices) j["devices"].push_back(to_json(d));
  j["uptime"] = uptime;
  return j;
}

Json pci_event_message(const PciEvent& ev) {
  Json j;
  j["type"] = "pci";
  j["event"] = ev.kind == PciEvent::Kind::add ? "add" : "remove";
  j["dev"] = to_json(ev.dev);
  return j;
}

Json reply_ok(const Json& id) {
  Json j;
  j["type"] = "reply";
  j["id"] = id;
  j["ok"] = true;
  return j;
}

Json reply_error(const Json& id, const std::string& error) {
  Json j;
  j["type"] = "reply";
  j["id"] = id;
  j["ok"] = false;
  j["error"] = error;
  return j;
}

Json log_message(const std::string& msg) {
  Json j;
  j["type"] = "log";
  j["msg"] = msg;
  return j;
}

std::string serialise(const Json& message) {
  // Replace invalid UTF-8 (e.g. from an exec'd program's output) instead of throwing.
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace pcirig::agent
