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

#include "disk_announcements.hpp"
#include "sysfs_root.hpp"

namespace pcirig::agent {

struct StorageLook {
  std::vector<std::string> busy;       // why not settled, e.g. "nvme0: state connecting"
  std::vector<std::string> disks;      // the PCI disks looked at
  std::vector<std::string> unvouched;  // disks whose scan may or may not be over (no announcement to go by)
  std::string activity;                // every PCI disk's stat line: equal looks = no I/O between
};

// One look at /sys/class/nvme and /sys/block (PCI-backed disks only). `disks` null:
// no announcements, every disk is judged by its counters.
StorageLook look_at_storage(const SysfsRoot& root, const DiskAnnouncements* disks = nullptr);

struct SettleResult {
  bool settled = false;
  const char* by = "";  // "announcements": every disk's scan known over; "calm": counters still for `quiet`
  int waited_ms = 0;
  int looks = 0;
  std::vector<std::string> busy;  // from the last look, when not settled
};

// Settled: nothing busy (a controller not live or without its namespace, a disk with
// I/O in flight or its partition scan to come) and either every disk announced
// (`disks` given: a namespace between its controller and /sys/block is known too), or
// no PCI disk's counters moving over looks `look_every` apart that span `quiet`.
// The partition scan reads back to back, so a quiet of a few looks separates its end
// from a pause within it; an announcement needs no such wait. A settled verdict
// vouches for the disks it saw.
SettleResult settle_storage(const SysfsRoot& root, std::chrono::milliseconds limit, DiskAnnouncements* disks = nullptr,
                            std::chrono::milliseconds quiet = std::chrono::milliseconds(50),
                            std::chrono::milliseconds look_every = std::chrono::milliseconds(10));

}  // namespace pcirig::agent
