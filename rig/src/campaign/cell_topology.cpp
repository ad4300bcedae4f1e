#include "campaign/cell_topology.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace pcirig {

void apply_hotplug_flavour(Topology& t, const std::string& flavour) {
  if (flavour.empty()) return;
  t.hotplug.enabled = flavour != "none";
  if (!t.hotplug.enabled) return;
  if (t.hotplug.slots.empty() || t.hotplug.kinds.empty())
    throw std::runtime_error(fmt::format("hot-plug {}: {} has no hotplug.slots and hotplug.kinds to churn", flavour, t.source));
  t.hotplug.flavour = flavour;
}

Topology cell_topology(const Plan& plan, const PlanCell& cell) {
  Topology t = load_topology_file(cell.config_path);
  if (!cell.mix.empty()) {
    const WorkloadMix& m = plan.mixes.at(cell.mix);
    Workload& w = t.workload;
    if (m.readers) w.readers = *m.readers;
    if (m.resetters) w.resetters = *m.resetters;
    if (m.rescanners) w.rescanners = *m.rescanners;
    if (m.binders) w.binders = *m.binders;
    if (m.vfio) w.vfio = *m.vfio;
    if (m.reset_interval_ms) w.reset_interval_ms = *m.reset_interval_ms;
    if (m.reset_method) w.reset_method = *m.reset_method;
    if (m.readers_on) w.readers_on = *m.readers_on;
  }
  apply_hotplug_flavour(t, cell.hotplug);
  t.duration_s = cell.duration_s;
  return t;
}
}  // namespace pcirig
