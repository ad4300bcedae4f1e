// The guest agent's channel (docs/CONTRACTS.md "Guest agent channel"): JSON lines over
// the virtio-serial port pcirig.0, which QEMU connects to our unix socket.
#pragma once
#include "util/json_line_channel.hpp"

namespace pcirig {

struct AgentStats {  // cumulative counters from the last "stats" line
  double t = 0;
  int64_t config_reads = 0, config_bytes = 0, resets = 0, reset_errors = 0, rescans = 0, binds = 0,
          vfio_cycles = 0, vfio_errors = 0, vfio_busy = 0, enodev = 0, devices = 0;
  static AgentStats from_json(const json& j);
  json to_json() const;
};

class AgentChannel : public JsonLineChannel {
 public:
  AgentChannel(asio::any_io_executor ex, LineLog* transcript);

  // A command {"type":type,...fields,"id":K}; the reply's "ok" and "error" are in msg.
  asio::awaitable<ChannelReply> command(const std::string& type, json fields = json::object(),
                                        milliseconds timeout = milliseconds(5000));

  bool ready() const { return ready_.has_value(); }
  // A guest restored from a snapshot said `ready` before the snapshot was taken: the rig
  // gives the saved message once the restored agent has answered a command.
  void assume_ready(json msg);
  const json& ready_msg() const { return *ready_; }
  double ready_at() const { return ready_at_; }
  const AgentStats& stats() const { return stats_; }
  double stats_at() const { return stats_at_; }
  int64_t pci_adds() const { return adds_; }
  int64_t pci_removes() const { return removes_; }

 protected:
  std::optional<int64_t> reply_id_of(const json& m) const override;
  std::optional<std::string> shape_error(const json& m) const override;  // per message type, as in the contract

 private:
  void on_message(const json& m);
  int64_t next_id_ = 1;
  std::optional<json> ready_;
  double ready_at_ = 0, stats_at_ = 0;
  AgentStats stats_;
  int64_t adds_ = 0, removes_ = 0;
};
}  // namespace pcirig
