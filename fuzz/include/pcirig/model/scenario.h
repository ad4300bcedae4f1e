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
  try_reset,      // vfio VFIO_DEVICE_RESET: vfio_pci_ioctl_reset -> pci_try_reset_function
  perf_read,      // perf uncore: holds a task's pi_lock, reads config (atomic)
  msi_mask,       // MSI: interrupts off, reads config (atomic)
  // Crafted scenarios only (never decoded from fuzz bytes):
  cfg_unlock,     // an unbalanced pci_cfg_access_unlock (WARN_ON)
  // The topology calls (inputs whose first byte has bit 7 set):
  vfio_close,     // last close of the vfio fd: the release path resets the device
  vfio_set_irqs,  // VFIO_DEVICE_SET_IRQS: igate, memory_lock, pci_enable_msi
  unbind,         // sysfs driver `unbind`: device_release_driver (vfio-pci waits for the fd)
  remove,         // sysfs `remove`: pci_stop_and_remove_bus_device_locked
  rescan,         // sysfs `rescan`: pci_rescan_bus under pci_rescan_remove_lock
  pciehp_event,   // pciehp IRQ thread: presence/link change, slot's devices removed or added
  aer_reset,      // AER recovery: pci_bus_error_reset (slot or bus reset)
  hot_reset,      // vfio VFIO_DEVICE_PCI_HOT_RESET: pci_reset_bus by trylocks
  sriov_numvfs,   // sysfs `sriov_numvfs` of the PF: 1 if its VFs are off, else 0
};
inline constexpr int N_FUZZ_CALLS = 6;  // in inputs without the topology bit
inline constexpr int MAX_CALLS_PER_TASK = 3;

struct CallSpec {
  Call call;
  std::uint8_t dev = 0;  // device id (0 dev0, 1 dev1, 2 rp0, 3 ep1, 4 rp1, 5 br, 6 ep2, 7 vf1: pci.h)
  std::uint8_t arg = 0;  // perf_read: whose pi_lock (task index)
};

struct Scenario {
  int ndevs = 1;       // inputs without the topology bit: dev0 (and dev1)
  bool topo = false;   // the topology encoding: any call, any device of pci.h
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
// calls by ',', each NAME[:DEV[:ARG]], DEV a number or a device name (ep1).
// Throws std::invalid_argument naming the bad token.
Scenario parse_scenario(const std::string& text, int ndevs = 0);
std::string scenario_string(const Scenario& s);

}  // namespace pcirig::model
