// QMP client (shape after QEMU's python qemu.qmp): greeting, qmp_capabilities, commands
// with ids, error class + description, per-command timeouts, async events with
// listeners, a JSON-lines transcript of every message with monotonic timestamps.
#pragma once
#include "util/json_line_channel.hpp"

namespace pcirig {

struct QmpResult {
  bool ok = false;             // "return" arrived
  bool timed_out = false;
  bool disconnected = false;
  json ret;                    // the "return" value
  std::string error_class;     // "GenericError", "DeviceNotFound", ...
  std::string error_desc;
  double latency_s = 0;
  std::string describe() const;  // for logs and journals
};

class QmpClient : public JsonLineChannel {
 public:
  QmpClient(asio::any_io_executor ex, LineLog* transcript);

  // Waits for the greeting, then negotiates capabilities. False on timeout or error.
  asio::awaitable<bool> handshake(milliseconds timeout);
  asio::awaitable<QmpResult> execute(const std::string& cmd, json args = nullptr, milliseconds timeout = milliseconds(5000));

  // DEVICE_DELETED for our device: matched by data.device == id. QEMU also emits it
  // for child objects (e.g. a virtio device's inner part) with only data.path: ignored.
  WaiterPtr expect_device_deleted(const std::string& id);
  static bool is_device_deleted(const json& ev, const std::string& id);

  const json& greeting() const { return greeting_; }

 protected:
  std::optional<int64_t> reply_id_of(const json& m) const override;
  std::optional<std::string> shape_error(const json& m) const override;

 private:
  int64_t next_id_ = 1;
  json greeting_;
};
}  // namespace pcirig
