// What of a topology a VM snapshot can hold. QEMU 7.2's nvme device is unmigratable
// (`migrate` fails while one exists), so cold nvme devices stay out of the snapshot
// and are added with device_add once the restored guest runs. That needs a hot-plug
// capable port; a topology where it is impossible boots cold, and says why.
#pragma once
#include <string>
#include <vector>

#include "config/topology.hpp"

namespace pcirig {

bool blocks_migration(DeviceKind k);

struct SnapshotPlan {
  bool possible = false;
  std::string why_not;                 // set when !possible
  Topology boot;                       // what QEMU boots, and so what the snapshot holds
  std::vector<Device> after_restore;   // cold devices added over QMP once the guest runs
};

SnapshotPlan plan_snapshot(const Topology& t);
}  // namespace pcirig
