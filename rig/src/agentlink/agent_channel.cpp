#include "agentlink/agent_channel.hpp"

#include <fmt/format.h>

#include "util/clock.hpp"

namespace pcirig {

AgentStats AgentStats::from_json(const json& j) {
  AgentStats s;
  auto g = [&](const char* k) { return j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : int64_t(0); };
  s.t = j.contains("t") && j["t"].is_number() ? j["t"].get<double>() : 0.0;
  s.config_reads = g("config_reads");
  s.config_bytes = g("config_bytes");
  s.resets = g("resets");
  s.reset_errors = g("reset_errors");
  s.rescans = g("rescans");
  s.binds = g("binds");
  s.vfio_cycles = g("vfio_cycles");
  s.vfio_errors = g("vfio_errors");
  s.vfio_busy = g("vfio_busy");
  s.enodev = g("enodev");
  s.devices = g("devices");
  return s;
}

json AgentStats::to_json() const {
  return {{"t", t}, {"config_reads", config_reads}, {"config_bytes", config_bytes}, {"resets", resets},
          {"reset_errors", reset_errors}, {"rescans", rescans}, {"binds", binds}, {"vfio_cycles", vfio_cycles},
          {"vfio_errors", vfio_errors}, {"vfio_busy", vfio_busy}, {"enodev", enodev}, {"devices", devices}};
}

namespace {
// Field checks: each says what is wrong, or nothing.
std::optional<std::string> want(const json& m, const char* k, bool (json::*is)() const noexcept, const char* what,
                                bool required, bool nullable = false) {
  if (!m.contains(k)) return required ? std::optional<std::string>(fmt::format("missing '{}'", k)) : std::nullopt;
  const json& v = m[k];
  if ((v.*is)() || (nullable && v.is_null())) return std::nullopt;
  return fmt::format("'{}' must be {}, not {}", k, what, v.type_name());
}

std::optional<std::string> dev_error(const json& dev) {
  if (!dev.is_object()) return fmt::format("a device must be an object, not {}", dev.type_name());
  for (const char* k : {"bdf", "vendor", "device", "class"})
    if (auto e = want(dev, k, &json::is_string, "a string", false)) return "device: " + *e;
  for (const char* k : {"driver", "slot"})
    if (auto e = want(dev, k, &json::is_string, "a string or null", false, true)) return "device: " + *e;
  return std::nullopt;
}

constexpr const char* kStatsCounters[] = {"config_reads", "config_bytes", "resets", "reset_errors", "rescans", "binds",
                                          "vfio_cycles", "vfio_errors", "vfio_busy", "enodev", "devices"};
}  // namespace

std::optional<std::string> AgentChannel::shape_error(const json& m) const {
  if (auto e = want(m, "type", &json::is_string, "a string", true)) return e;
  const std::string type = m["type"].get<std::string>();
  if (type == "reply") {
    if (auto e = want(m, "id", &json::is_number_integer, "an integer", true)) return e;
    if (auto e = want(m, "ok", &json::is_boolean, "a boolean", false)) return e;
    if (auto e = want(m, "error", &json::is_string, "a string", false)) return e;
    if (auto e = want(m, "devices", &json::is_array, "a list", false)) return e;
    return std::nullopt;
  }
  if (type == "stats") {
    if (auto e = want(m, "t", &json::is_number, "a number", true)) return e;
    for (const char* k : kStatsCounters)  // unknown fields are the agent's business
      if (auto e = want(m, k, &json::is_number_integer, "an integer", false)) return e;
    return std::nullopt;
  }
  if (type == "pci") {
    if (auto e = want(m, "event", &json::is_string, "a string", true)) return e;
    if (m["event"] != "add" && m["event"] != "remove") return "'event' must be \"add\" or \"remove\"";
    if (!m.contains("dev")) return "missing 'dev'";
    return dev_error(m["dev"]);
  }
  if (type == "ready") {
    if (auto e = want(m, "kernel", &json::is_string, "a string", false)) return e;
    if (auto e = want(m, "cpus", &json::is_number_integer, "an integer", false)) return e;
    if (auto e = want(m, "uptime", &json::is_number, "a number", false)) return e;
    if (auto e = want(m, "devices", &json::is_array, "a list", false)) return e;
    for (auto& d : m.value("devices", json::array()))
      if (auto e = dev_error(d)) return e;
    return std::nullopt;
  }
  if (type == "log") return want(m, "msg", &json::is_string, "a string", true);
  return fmt::format("unknown message type '{}'", type);
}

AgentChannel::AgentChannel(asio::any_io_executor ex, LineLog* transcript)
    : JsonLineChannel(std::move(ex), "agent", transcript) {
  add_listener([this](const json& m) { on_message(m); });
}

std::optional<int64_t> AgentChannel::reply_id_of(const json& m) const {
  if (m.value("type", "") == "reply" && m.contains("id") && m["id"].is_number_integer()) return m["id"].get<int64_t>();
  return std::nullopt;
}

void AgentChannel::on_message(const json& m) {
  const std::string type = m.value("type", "");
  if (type == "ready" && !ready_) {
    ready_ = m;
    ready_at_ = mono_seconds();
  } else if (type == "stats") {
    stats_ = AgentStats::from_json(m);
    stats_at_ = mono_seconds();
  } else if (type == "pci") {
    (m.value("event", "") == "add" ? adds_ : removes_)++;
  }
}

void AgentChannel::assume_ready(json msg) {
  ready_ = std::move(msg);
  ready_at_ = mono_seconds();
}

asio::awaitable<ChannelReply> AgentChannel::command(const std::string& type, json fields, milliseconds timeout) {
  int64_t id = next_id_++;
  json msg = {{"type", type}};
  for (auto& [k, v] : fields.items()) msg[k] = v;
  msg["id"] = id;
  co_return co_await request(std::move(msg), id, timeout);
}
}  // namespace pcirig
