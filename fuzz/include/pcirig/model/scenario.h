// The scenario half of a fuzz input: how many tasks and devices, and each
// task's sequence of calls. The rest of the input is the schedule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pcirig::model {

enum class Call : std::uint8_t {
  config_read,    // sysfs `config` read: pci_user_read_config_dword
  config_write,   // sysfs `config` write: pci_user_write_config_dword
  reset,          // sysfs `reset`: pci_reset_function (pci_dev_lock .. pci_dev_unlock)
  try_reset,      // vfio: pci_try_reset_function (pci_dev_trylock)
  perf_read,      // perf uncore: holds a task's pi_lock, reads config (atomic)
  msi_mask,       // MSI: interrupts off, reads config (atomic)
  // Crafted scenarios only (never decoded from fuzz bytes):
  cfg_unlock,     // an unbalanced pci_cfg_access_unlock (WARN_ON)
};
inline constexpr int N_FUZZ_CALLS = 6;
inline constexpr int MAX_CALLS_PER_TASK = 3;

struct CallSpec {
  Call call;
  std::uint8_t dev = 0;
  std::uint8_t arg = 0;  // perf_read: whose pi_lock (task index)
};

struct Scenario {
  int ndevs = 1;
  std::vector<std::vector<CallSpec>> tasks;
};

// Decoding never fails: missing bytes read as 0. `used` = bytes consumed.
Scenario decode_scenario(std::span<const std::uint8_t> in, std::size_t& used);
// The canonical bytes that decode to `s` (for DFS, tests, crafted inputs).
std::vector<std::uint8_t> encode_scenario(const Scenario& s);

const char* call_name(Call c);  // "reset"
// The kernel entry point the task starts in: "reset_store", "vfio_pci_ioctl_reset" ...
const char* call_entry(Call c);
// "reset:0,config_read:0;config_read:0" <-> Scenario: tasks split by ';',
// calls by ',', each NAME[:DEV[:ARG]]. Throws std::invalid_argument naming the bad token.
Scenario parse_scenario(const std::string& text, int ndevs = 0);
std::string scenario_string(const Scenario& s);

}  // namespace pcirig::model
