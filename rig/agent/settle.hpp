// Storage settled: what a driver's probe leaves running after the device shows up.
// nvme probes asynchronously (controller reset, namespace scan, partition-table reads);
// a reset storm started in that window wedges the scan's I/O behind the reset's queue
// freeze until nvme's 30 s timeout, which the run would see as stuck readers. A cold
// boot's devices have long settled by agent-ready; a device plugged after a snapshot
// restore has not, so the rig asks for `settle` before the workload.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "sysfs_root.hpp"

namespace pcirig::agent {

struct StorageLook {
  std::vector<std::string> busy;  // why not settled, e.g. "nvme0: state connecting"
  std::string activity;           // every PCI block device's stat line: equal looks = no I/O between
};

// One look at /sys/class/nvme and /sys/block (PCI-backed disks only).
StorageLook look_at_storage(const SysfsRoot& root);

struct SettleResult {
  bool settled = false;
  int waited_ms = 0;
  int looks = 0;
  std::vector<std::string> busy;  // from the last look, when not settled
};

// Settled: nothing busy, and no I/O on any PCI disk across two looks `quiet` apart.
SettleResult settle_storage(const SysfsRoot& root, std::chrono::milliseconds limit,
                            std::chrono::milliseconds quiet = std::chrono::milliseconds(100));

}  // namespace pcirig::agent
