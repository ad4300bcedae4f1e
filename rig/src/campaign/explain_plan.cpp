#include "campaign/explain_plan.hpp"

#include <fmt/format.h>

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
