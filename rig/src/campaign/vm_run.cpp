#include <fmt/format.h>

#include <algorithm>

#include "campaign/cell_topology.hpp"
#include "campaign/run_cell.hpp"
#include "repro/bundle.hpp"
#include "session/session.hpp"
#include "util/clock.hpp"
#include "util/median.hpp"

namespace fs = std::filesystem;
namespace pcirig {
std::string text_hash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return fmt::format("{:016x}", h);
}

RunRecord run_vm_cell(const CellContext& ctx, const PlannedRun& run) {
  const PlanCell& c = *run.cell;
  SessionOptions o;
  o.topo = cell_topology(*ctx.plan, c);
  o.topo.seed = run.seed;
  o.image = ctx.images.at(c.kernel);
  o.accel = ctx.accel;
  o.runs_dir = ctx.campaign_dir / "runs";
  o.tag = fmt::format("r{}", run.index);
  o.status_line = false;  // the campaign draws its own
  SessionOutcome out = run_session(o);
  const auto& r = out.result;
  leave_crash_bundle(out.run_dir, r, false);
  RunRecord rec;
  rec.kind = "vm";
  rec.result = r.value("result", "infra");
  if (r.contains("crash")) rec.title = r["crash"].value("title", "");
  rec.known = ctx.known.id_for_result(r);
  if (r.contains("infra")) rec.detail = r["infra"].value("kind", "");
  if (r.value("end_cause", "") == "interrupted") rec.result = "interrupted";
  rec.run_dir = fs::relative(out.run_dir, ctx.campaign_dir).string();
  rec.seconds = r.value("run_seconds", 0.0);
  rec.boot_seconds = out.ready_seconds;
  rec.kernel = c.kernel;
  if (r.contains("kernel"))
    rec.kernel_identity = fmt::format("{} {} {}", r["kernel"].value("name", ""), r["kernel"].value("release", ""),
                                      r["kernel"].value("cache_key", ""));
  rec.topology = c.topology;
  Topology unseeded = o.topo;  // the hash names the configuration, whatever the seed
  unseeded.seed.reset();
  rec.config_hash = text_hash(emit_topology_yaml(unseeded));
  rec.host_load = r.value("host_load_max", 0.0);
  rec.reads_per_s = median(out.reads_per_s, 0);
  rec.resets_per_s = median(out.resets_per_s, 0);
  rec.plug_cycles = out.hotplug.unplugged;
  return rec;
}
}  // namespace pcirig
