// A VM cell's topology as it runs: the topology file, its workload overridden by the
// cell's mix, hot-plug by the cell's flavour, the storm length by the cell's duration.
#pragma once
#include "campaign/plan.hpp"
#include "config/topology.hpp"

namespace pcirig {
Topology cell_topology(const Plan& plan, const PlanCell& cell);
// none | acpi | native over the topology's hotplug section ("" leaves it as it is).
void apply_hotplug_flavour(Topology& t, const std::string& flavour);
}  // namespace pcirig
