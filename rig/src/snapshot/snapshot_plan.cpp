#include "snapshot/snapshot_plan.hpp"

#include <fmt/format.h>

namespace pcirig {

bool blocks_migration(DeviceKind k) { return k == DeviceKind::nvme; }

SnapshotPlan plan_snapshot(const Topology& t) {
  SnapshotPlan p;
  p.boot = t;
  p.boot.devices.clear();
  for (const Device& d : t.devices) {
    const DeviceTemplate* tm = t.find_template(d.tmpl);
    if (!tm || !blocks_migration(tm->kind)) {
      p.boot.devices.push_back(d);
      continue;
    }
    const Port* port = t.find_port(d.bus);
    if (!port || !port->hotplug) {
      p.why_not = fmt::format("cold device '{}' ({}) cannot be migrated and its port '{}' has no hot-plug to add it after a restore",
                              d.id, qemu_driver(tm->kind), d.bus);
      return p;
    }
    p.after_restore.push_back(d);
  }
  p.possible = true;
  return p;
}
}  // namespace pcirig
