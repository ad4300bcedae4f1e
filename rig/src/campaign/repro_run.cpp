// A repro cell's run: the bundle's crash replayed `attempts` times through the repro
// engine (repro/attempts.hpp), as `pcirig repro BUNDLE` does. Its run directory holds
// the attempts' run directories and repro.json (the verdict `pcirig repro --json` writes).
// The cell passes when the crash came back at least once; a miss in every attempt is
// "corpus crash no longer reproduces".
#include <fmt/format.h>

#include <set>

#include "campaign/run_cell.hpp"
#include "repro/attempts.hpp"
#include "repro/repro_report.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"
#include "util/median.hpp"

namespace fs = std::filesystem;
namespace pcirig {

RunRecord run_repro_cell(const CellContext& ctx, const PlannedRun& run) {
  const PlanCell& c = *run.cell;
  fs::path dir = ctx.campaign_dir / "runs" /
                 fmt::format("{}-r{}-repro-{}", utc_compact(), run.index, fs::path(c.bundle).filename().string());
  fs::create_directories(dir);
  // Checked again: the bundle may have changed since the plan was loaded (a resume).
  ReproSource src = load_repro_source(c.bundle);
  if (!src.crash) throw std::runtime_error(fmt::format("{}: the bundle's run did not crash", c.bundle));
  ResolvedKernel k = resolve_repro_kernel(src);
  ReproOptions o;
  o.attempts = c.attempts;
  o.time_limit_s = c.time_limit_s;
  o.accel = ctx.accel;
  o.runs_dir = dir;
  o.quiet = true;  // the campaign prints one line per run
  double t0 = mono_seconds();
  ReproOutcome out = run_attempts(src, k.image, reproducer_of(src), o);
  double secs = mono_seconds() - t0;
  nlohmann::json verdict = repro_json({&src, &k, &o, &out});
  if (write_file(dir / "repro.json", verdict.dump(2) + "\n") == ENOSPC)
    throw std::runtime_error(fmt::format("cannot write {}: the disk is full", (dir / "repro.json").string()));

  RunRecord rec;
  rec.kind = "repro";
  rec.run_dir = fs::relative(dir, ctx.campaign_dir).string();
  rec.seconds = secs;
  rec.repro_title = src.crash->title;
  rec.repro_reproduced = out.reproduced();
  rec.repro_attempts = out.completed();
  rec.repro_rate = out.rate();
  int code = out.exit_code();
  rec.result = out.interrupted && code != 0 ? "interrupted" : code == 0 ? "reproduced" : code == 1 ? "not_reproduced" : "infra";
  std::set<std::string> rules, infra;
  std::vector<double> ready;
  for (const auto& a : out.per_attempt) {
    if (!a.match.rule.empty()) rules.insert(a.match.rule);
    for (const auto& i : a.infra) infra.insert(i);
    if (a.ready_seconds >= 0) ready.push_back(a.ready_seconds);
  }
  if (rec.result == "infra")
    rec.detail = infra.count("disk_full") ? "disk_full" : fmt::format("no attempt got a verdict: {}", fmt::join(infra, ", "));
  else
    rec.detail = fmt::format("{}/{} reproduced ({}); kernel from {}{}", rec.repro_reproduced, rec.repro_attempts,
                             fmt::join(rules, ", "), k.from, k.exact ? "" : ", not the bundle's (cache_key differs)");
  rec.boot_seconds = median(ready, -1);
  rec.kernel = k.image.name;
  rec.kernel_identity = fmt::format("{} {} {}", k.image.name, k.image.info.value("kernel_release", ""),
                                    k.image.info.value("cache_key", ""));
  rec.topology = fs::path(c.bundle).filename().string();
  rec.config_hash = text_hash(read_file_text(fs::path(c.bundle) / "config.yaml") + src.journal_text);
  return rec;
}
}  // namespace pcirig
