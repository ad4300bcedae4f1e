#include "hang/hang_bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "campaign/plan.hpp"
#include "config/topology.hpp"
#include "hang/deadlock_run.hpp"
#include "images/kernel_image.hpp"
#include "session/session.hpp"
#include "util/clock.hpp"
#include "util/median.hpp"

namespace fs = std::filesystem;
namespace pcirig {
int run_hang_bench(const HangBenchOptions& o) {
  nlohmann::json out = {{"date", utc_iso8601()}, {"deadlock_kernel", o.deadlock_kernel}, {"runs_per_kind", o.runs}};
  KernelImage img = find_kernel_image(o.deadlock_kernel, false);
  nlohmann::json kinds = nlohmann::json::object();
  bool all_ok = true;
  for (const auto& kind : o.kinds) {
    std::vector<double> secs;
    nlohmann::json runs = nlohmann::json::array();
    int named = 0, by_rig = 0, infra = 0;
    uint64_t seed = o.seed;
    for (int i = 0; i < o.runs; i++, seed++) {
      DeadlockRun d = run_deadlock(kind, img, o.runs_dir, seed);
      // A guest that never got ready (TCG under load) tells nothing about hangs: counted
      // apart and run again with the next seed, twice at most per run.
      for (int retry = 0; retry < 2 && d.outcome.result.value("result", "") == "infra" && d.formed_t < 0; retry++) {
        infra++;
        fmt::print("{} seed {}: infrastructure ({}), again with seed {}\n", kind, seed,
                   d.outcome.result.contains("infra") ? d.outcome.result["infra"].value("kind", "") : "", seed + 1);
        d = run_deadlock(kind, img, o.runs_dir, ++seed);
      }
      double s = d.formed_t > 0 && d.reported_t > 0 ? d.reported_t - d.formed_t : -1;
      if (s >= 0) secs.push_back(s);
      named += d.deadlock_named;
      by_rig += d.detected_by == "rig";
      runs.push_back({{"seed", seed}, {"run_dir", d.outcome.run_dir.string()}, {"result", d.outcome.result.value("result", "")},
                      {"detected_by", d.detected_by}, {"title", d.title}, {"formed_t", d.formed_t},
                      {"reported_t", d.reported_t}, {"formed_to_report_s", s}, {"cycle_named", d.deadlock_named},
                      {"cycle", d.cycle}});
      fmt::print("{} seed {}: {} by {} in {:.1f} s after forming, cycle {}\n", kind, seed, d.title.empty() ? "no report" : d.title,
                 d.detected_by.empty() ? "-" : d.detected_by, s, d.deadlock_named ? "named" : "NOT named");
      std::fflush(stdout);
    }
    all_ok = all_ok && by_rig == o.runs && named == o.runs;
    kinds[kind] = {{"runs", o.runs}, {"reported_by_rig", by_rig}, {"cycle_named", named}, {"infra_retries", infra},
                   {"median_formed_to_report_s", median(secs)},
                   {"max_formed_to_report_s", secs.empty() ? -1 : *std::max_element(secs.begin(), secs.end())},
                   {"each", runs}};
    fmt::print("{}: median {:.1f} s, max {:.1f} s from forming to report; cycle named {}/{}; found by the rig {}/{}\n",
               kind, median(secs), secs.empty() ? -1.0 : *std::max_element(secs.begin(), secs.end()), named, o.runs,
               by_rig, o.runs);
  }
  out["deadlocks"] = kinds;

  // Clean runs: every hang the rig reports here is a false one.
  nlohmann::json clean = nlohmann::json::array();
  int false_hangs = 0;
  double clean_minutes = 0;
  if (o.clean_seconds > 0) {
    for (const auto& k : o.clean_kernels) {
      KernelImage ki = find_kernel_image(k, true);
      for (const auto& c : o.clean_configs) {
        SessionOptions so;
        so.topo = load_topology_file(resolve_topology(c));
        so.topo.duration_s = o.clean_seconds;
        so.topo.seed = o.seed;
        so.image = ki;
        so.runs_dir = o.runs_dir;
        so.tag = "clean-" + c;
        auto r = run_session(so);
        const auto& res = r.result;
        bool rig_hang = res.contains("crash") && res["crash"].value("detected_by", "") == "rig";
        false_hangs += rig_hang;
        clean_minutes += res.value("run_seconds", 0.0) / 60;
        nlohmann::json checks = res.value("hang_checks", nlohmann::json::object());
        clean.push_back({{"kernel", k}, {"config", c}, {"run_dir", r.run_dir.string()}, {"result", res.value("result", "")},
                         {"minutes", res.value("run_seconds", 0.0) / 60}, {"false_hang", rig_hang},
                         {"crash", res.contains("crash") ? res["crash"].value("title", "") : ""},
                         {"detected_by", res.contains("crash") ? res["crash"].value("detected_by", "") : ""},
                         {"hang_checks", checks}});
        fmt::print("clean {} {}: {} after {:.1f} min, hang checks {} (cleared {}), false hang: {}\n", k, c,
                   res.value("result", ""), res.value("run_seconds", 0.0) / 60, checks.value("checks", 0),
                   checks.value("cleared", 0), rig_hang ? "YES" : "no");
        std::fflush(stdout);
      }
    }
  }
  out["clean_runs"] = clean;
  out["false_hangs"] = false_hangs;
  out["clean_minutes"] = clean_minutes;
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    f << out.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + o.json_out);
  }
  fmt::print("false hangs: {} over {:.1f} clean minutes\n", false_hangs, clean_minutes);
  return all_ok && false_hangs == 0 ? 0 : 1;
}
}  // namespace pcirig
