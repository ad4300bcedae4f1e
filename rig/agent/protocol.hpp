// The agent's side of the JSON-lines protocol (docs/CONTRACTS.md, "Guest agent
// channel"): parsing host commands and building guest messages. Pure: no I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "pci_devices.hpp"

namespace pcirig::agent {

using Json = nlohmann::ordered_json;

struct WorkloadSpec {
  std::uint64_t seed = 0;
  int readers = 0;
  int resetters = 0;
  int rescanners = 0;
  int binders = 0;
  int vfio = 0;
  int reset_interval_ms = 0;
  // "vendor:device" (hex, no 0x) the mutating workers may touch; nullopt = any eligible device.
  std::optional<std::vector<std::string>> match;
  std::vector<int> read_sizes = {1, 2, 4, 0};  // bytes per reader pread, cycled; 0 = the whole space
  bool pin_cpus = true;  // worker n on CPU n mod ncpus
  bool read_targets_only = false;  // readers read only what the mutating workers may touch
  std::string reset_method;        // written to a target's sysfs reset_method before its first reset; "" = leave it

  int total_threads() const { return readers + resetters + rescanners + binders + vfio; }
};

struct WorkloadCmd { WorkloadSpec spec; };
struct StopCmd {};
struct DevicesCmd {};
struct PingCmd {};  // an answer proves the loop runs (a guest restored from a snapshot)
struct SettleCmd { int limit_ms = 0; };  // reply when storage has settled (settle.hpp), or at the limit
struct SlotPowerCmd { std::string slot; bool on = false; };
struct ExecCmd { std::vector<std::string> argv; };

struct Command {
  Json id;  // echoed verbatim in the reply (number or string); null if absent
  std::variant<WorkloadCmd, StopCmd, DevicesCmd, SlotPowerCmd, ExecCmd, PingCmd, SettleCmd> body;
};

struct ParseError {
  Json id;  // the id, if the line had one, so the error reply can echo it
  std::string message;
};

// One line from the host. Unknown types, missing or mistyped fields, negative
// thread counts and malformed JSON are errors with a message saying which.
std::variant<Command, ParseError> parse_command(const std::string& line);

// Messages to the host. Each is one JSON object; serialise() makes it a line.
// `uptime`: the guest's /proc/uptime when the agent got up, so the host can tell
// firmware + QEMU start-up (its ready time minus this) from the guest's own boot.
Json ready_message(const std::string& kernel, int cpus, const std::vector<PciDevice>& devices, double uptime);
Json pci_event_message(const PciEvent& ev);
Json reply_ok(const Json& id);
Json reply_error(const Json& id, const std::string& error);
Json log_message(const std::string& msg);
std::string serialise(const Json& message);  // compact JSON plus '\n'

}  // namespace pcirig::agent
