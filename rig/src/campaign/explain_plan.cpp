#include "campaign/explain_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "campaign/cell_topology.hpp"
#include "campaign/run_order.hpp"
#include "util/duration.hpp"

namespace pcirig {
namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (auto& e : v) s += (s.empty() ? "" : sep) + e;
  return s;
}

std::string vm_exercises(const Plan& plan, const PlanCell& c) {
  Topology t = cell_topology(plan, c);
  const Workload& w = t.workload;
  std::vector<std::string> parts;
  if (w.readers) parts.push_back(fmt::format("{} config reader{}", w.readers, w.readers > 1 ? "s" : ""));
  if (w.resetters)
    parts.push_back(fmt::format("{} resetter{} ({} reset)", w.resetters, w.resetters > 1 ? "s" : "",
                                w.reset_method.empty() ? "the kernel's first" : w.reset_method));
  if (w.vfio) parts.push_back(fmt::format("{} vfio user{} (open, reset, release)", w.vfio, w.vfio > 1 ? "s" : ""));
  if (w.rescanners) parts.push_back(fmt::format("{} remove/rescan", w.rescanners));
  if (w.binders) parts.push_back(fmt::format("{} bind/unbind", w.binders));
  if (w.readers >= 2 && w.resetters >= 2) parts.push_back("workers of a kind racing on one device");
  if (t.hotplug.enabled)
    parts.push_back(fmt::format("{} hot-plug of {} on {}", t.hotplug.flavour, join(t.hotplug.kinds, "/"),
                                join(t.hotplug.slots, "/")));
  else
    parts.push_back("cold slots only");
  if (w.readers_on == "targets") parts.push_back("readers on the targets only");
  if (c.kernel.find("lockdep") != std::string::npos) parts.push_back("lockdep");
  if (c.kernel.find("kasan") != std::string::npos) parts.push_back("KASAN");
  return join(parts, "; ");
}

std::string model_exercises(const PlanCell& c) {
  if (c.scheduler == "libfuzzer") return fmt::format("libFuzzer corpus run, merged into corpora/{}/", c.variant);
  if (c.scheduler == "pct") return "random scenarios under PCT schedules";
  if (c.scheduler == "dfs") return "bounded DFS over one scenario's schedules";
  return "random scenarios, uniform random schedules";
}
std::string repro_checks(const PlanCell& c) {
  return fmt::format("replays the bundle {} on kernel {}, {} attempt{} of at most {}: fails when \"{}\" no longer comes back",
                     c.bundle, c.kernel, c.attempts, c.attempts > 1 ? "s" : "", format_duration(c.time_limit_s),
                     c.bundle_title);
}

// The IDs the guest shows for a kind (modern and transitional virtio): for `match`.
std::vector<std::string> pci_ids(DeviceKind k) {
  switch (k) {
    case DeviceKind::virtio_net: return {"1af4:1041", "1af4:1000"};
    case DeviceKind::virtio_blk: return {"1af4:1042", "1af4:1001"};
    case DeviceKind::e1000e: return {"8086:10d3"};
    case DeviceKind::nvme: return {"1b36:0010"};
  }
  return {};
}

// Whether the mutating workers may touch a device of this template (docs/agent.md,
// eligibility): every device behind a port when `match` is empty, else the listed IDs.
bool eligible(const Topology& t, const std::string& tmpl) {
  const DeviceTemplate* d = t.find_template(tmpl);
  if (!d) return false;
  if (t.workload.match.empty()) return true;
  for (std::string m : t.workload.match) {
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (size_t p; (p = m.find("0x")) != std::string::npos;) m.erase(p, 2);
    for (auto& id : pci_ids(d->kind))
      if (m == id) return true;
  }
  return false;
}

// What the plan reaches of the list a nightly plan must cover (issue 10, "Coverage"),
// counted over its vm cells, and what it does not.
std::string coverage(const Plan& plan) {
  const std::vector<std::string> methods = {"flr", "pm", "bus"};
  std::map<std::string, int> n;  // item -> cells
  std::set<std::string> lockdep;
  for (auto& c : plan.cells) {
    if (c.kind != PlanCell::Kind::vm) continue;
    Topology t = cell_topology(plan, c);
    const Workload& w = t.workload;
    bool hot = false, cold = false;
    if (t.hotplug.enabled)
      for (auto& k : t.hotplug.kinds) hot |= eligible(t, k);
    for (auto& d : t.devices) cold |= eligible(t, d.tmpl);
    std::string m = w.reset_method;
    if (w.resetters && std::find(methods.begin(), methods.end(), m) != methods.end()) {
      n[m + " " + (t.hotplug.enabled ? t.hotplug.flavour : "none")]++;
      if (hot) n[m + " hot"]++;
      if (cold) n[m + " cold"]++;
    }
    if (w.readers >= 2) n["readers"]++;
    if (w.resetters >= 2) n["resetters"]++;
    if (w.vfio >= 2) n["vfio users"]++;
    if (w.vfio && t.iommu && hot) n["vfio hot"]++;
    if (w.rescanners) n["rescan"]++;
    if (c.kernel.find("lockdep") != std::string::npos) n["lockdep"]++, lockdep.insert(c.kernel);
  }
  std::vector<std::string> missing;
  // "N cells", or "none" and the item (what) counted as not reached.
  auto count = [&](const std::string& item) {
    int k = n.count(item) ? n.at(item) : 0;
    return k ? fmt::format("{} cell{}", k, k > 1 ? "s" : "") : std::string("none");
  };
  auto cells = [&](const std::string& item, const std::string& what) {
    if (!n.count(item)) missing.push_back(what);
    return count(item);
  };
  // One call per statement: the order of `missing` is the order of the lines.
  std::string out = "coverage (vm cells):\n";
  for (auto& m : methods) {
    std::string r = "reset " + m;
    std::string acpi = cells(m + " acpi", r + " under acpi hot-plug");
    std::string native = cells(m + " native", r + " under native hot-plug");
    std::string hot = cells(m + " hot", r + " of hot-plugged devices");
    std::string cold = cells(m + " cold", r + " of cold-plugged devices");
    out += fmt::format("  {}: acpi hot-plug {}; native hot-plug {}; no hot-plug {}; hot-plugged devices {}; cold-plugged devices {}\n",
                       r, acpi, native, count(m + " none"), hot, cold);
  }
  std::string readers = cells("readers", "two readers");
  std::string resetters = cells("resetters", "two resetters");
  std::string vfio = cells("vfio users", "two vfio users");
  out += fmt::format("  two or more of a kind in one guest, on the same devices: readers {}; resetters {}; vfio users {}\n",
                     readers, resetters, vfio);
  out += "  vfio open, reset and release of hot-plugged devices: " + cells("vfio hot", "vfio on hot-plug slots") + "\n";
  out += "  removal and rescan: " + cells("rescan", "removal and rescan") + "\n";
  out += "  lockdep kernels: " + cells("lockdep", "a lockdep kernel");
  out += lockdep.empty() ? "\n" : " (" + join({lockdep.begin(), lockdep.end()}) + ")\n";
  out += missing.empty() ? "  every item reached\n" : "  NOT REACHED: " + join(missing, "; ") + "\n";
  return out;
}
}  // namespace

std::string explain_plan(const Plan& plan, uint64_t campaign_seed, double hours) {
  std::string out = fmt::format("plan {}: {} cells, {} runs per round, campaign seed {}\n", plan.source,
                                plan.cells.size(), plan.round_runs(), campaign_seed);
  double round_s = 0;
  for (auto& c : plan.cells) round_s += c.runs * c.duration_s;
  out += fmt::format("one round: {} of storm, search and repro time (plus boots); {}\n", format_duration(round_s),
                     hours > 0 ? fmt::format("--hours {} repeats rounds until the time is up", hours)
                               : std::string("without --hours the campaign is one round"));
  for (auto& c : plan.cells) {
    std::string what = c.kind == PlanCell::Kind::vm      ? vm_exercises(plan, c)
                       : c.kind == PlanCell::Kind::model ? model_exercises(c)
                                                         : repro_checks(c);
    out += fmt::format("  {:<48} x{:<3} {:>6}  line {:<3} {}\n", c.id, c.runs, format_duration(c.duration_s), c.line, what);
  }
  for (auto& n : plan.notes) out += "  " + n + "\n";
  out += coverage(plan);
  RunOrder order(plan, campaign_seed);
  out += "first runs and their seeds:";
  for (int i = 0; i < std::min(4, order.round_runs()); i++) {
    auto r = order.at(i);
    out += fmt::format(" #{} {} seed {};", i, r.cell->id, r.seed);
  }
  out += "\n";
  return out;
}
}  // namespace pcirig
