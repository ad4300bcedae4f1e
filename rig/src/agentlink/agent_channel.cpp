#include "agentlink/agent_channel.hpp"

#include "util/clock.hpp"

namespace pcirig {

AgentStats AgentStats::from_json(const json& j) {
  AgentStats s;
  auto g = [&](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<int64_t>() : int64_t(0); };
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

asio::awaitable<ChannelReply> AgentChannel::command(const std::string& type, json fields, milliseconds timeout) {
  int64_t id = next_id_++;
  json msg = {{"type", type}};
  for (auto& [k, v] : fields.items()) msg[k] = v;
  msg["id"] = id;
  co_return co_await request(std::move(msg), id, timeout);
}
}  // namespace pcirig
