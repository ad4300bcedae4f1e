#include "qmp/qmp_client.hpp"

#include <fmt/format.h>

namespace pcirig {

std::string QmpResult::describe() const {
  if (ok) return "ok";
  if (timed_out) return "timeout";
  if (disconnected) return "disconnected";
  return fmt::format("{}: {}", error_class, error_desc);
}

std::optional<int64_t> QmpClient::reply_id_of(const json& m) const {
  if ((m.contains("return") || m.contains("error")) && m.contains("id") && m["id"].is_number_integer())
    return m["id"].get<int64_t>();
  return std::nullopt;
}

// QMP spec (docs/interop/qmp-spec): a greeting {"QMP":{...}}, a reply {"return":X,"id":I}
// or {"error":{"class":S,"desc":S},"id":I}, an event {"event":S,"data":{...},"timestamp":{...}}.
std::optional<std::string> QmpClient::shape_error(const json& m) const {
  auto object = [&](const char* k) -> std::optional<std::string> {
    if (m.contains(k) && !m[k].is_object()) return fmt::format("'{}' must be an object, not {}", k, m[k].type_name());
    return std::nullopt;
  };
  if (m.contains("QMP")) return object("QMP");
  if (m.contains("return") || m.contains("error")) {
    if (!m.contains("id")) return std::string("a reply without 'id'");
    if (!m["id"].is_number_integer()) return fmt::format("'id' must be an integer, not {}", m["id"].type_name());
    if (!m.contains("error")) return std::nullopt;
    if (auto e = object("error")) return e;
    for (const char* k : {"class", "desc"})
      if (!m["error"].contains(k) || !m["error"][k].is_string()) return fmt::format("'error.{}' must be a string", k);
    return std::nullopt;
  }
  if (m.contains("event")) {
    if (!m["event"].is_string()) return fmt::format("'event' must be a string, not {}", m["event"].type_name());
    if (auto e = object("data")) return e;
    return object("timestamp");
  }
  return std::string("neither a greeting, a reply nor an event");
}

QmpClient::QmpClient(asio::any_io_executor ex, LineLog* transcript) : JsonLineChannel(std::move(ex), "qmp", transcript) {
  // The greeting is the first line QEMU sends, possibly before anyone waits for it.
  add_listener([this](const json& m) {
    if (greeting_.is_null() && m.contains("QMP")) greeting_ = m;
  });
}

asio::awaitable<bool> QmpClient::handshake(milliseconds timeout) {
  if (greeting_.is_null()) {
    // No suspension between the check and expect(): a greeting can't slip between them.
    auto w = expect([](const json& m) { return m.contains("QMP"); });
    auto g = co_await wait(w, timeout);
    if (!g) co_return false;
    greeting_ = *g;
  }
  auto r = co_await execute("qmp_capabilities", nullptr, timeout);
  co_return r.ok;
}

asio::awaitable<QmpResult> QmpClient::execute(const std::string& cmd, json args, milliseconds timeout) {
  int64_t id = next_id_++;
  json msg = {{"execute", cmd}};
  if (!args.is_null()) msg["arguments"] = std::move(args);
  msg["id"] = id;
  ChannelReply cr = co_await request(std::move(msg), id, timeout);
  QmpResult r;
  r.timed_out = cr.timed_out;
  r.disconnected = cr.disconnected;
  r.latency_s = cr.latency_s;
  if (cr.ok) {
    if (cr.msg.contains("return")) {
      r.ok = true;
      r.ret = cr.msg["return"];
    } else {
      const json& e = cr.msg["error"];
      r.error_class = e.value("class", "");
      r.error_desc = e.value("desc", "");
    }
  }
  co_return r;
}

bool QmpClient::is_device_deleted(const json& ev, const std::string& id) {
  if (ev.value("event", "") != "DEVICE_DELETED") return false;
  if (!ev.contains("data")) return false;
  const json& d = ev["data"];
  return d.contains("device") && d["device"].is_string() && d["device"].get<std::string>() == id;
}

JsonLineChannel::WaiterPtr QmpClient::expect_device_deleted(const std::string& id) {
  return expect([id](const json& ev) { return is_device_deleted(ev, id); });
}
}  // namespace pcirig
