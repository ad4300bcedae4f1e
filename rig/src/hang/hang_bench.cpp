#include "hang/hang_bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "campaign/plan.hpp"
#include "config/topology.hpp"
#include "hang/deadlock_run.hpp"
#include "images/kernel_image.hpp"
#include "session/session.hpp"
#include "triage/known_reports.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"
#include "util/median.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {
// Totals of the clean runs: false hangs, known kernel hangs found by the rig, minutes
// in all and per (kernel, config).
void summarise_clean(nlohmann::json& out) {
  int false_hangs = 0, known_hangs = 0;
  double minutes = 0;
  nlohmann::json by = nlohmann::json::object();
  for (const auto& r : out["clean_runs"]) {
    false_hangs += r.value("false_hang", false);
    known_hangs += !r.value("known", "").empty();
    minutes += r.value("minutes", 0.0);
    std::string pair = r.value("kernel", "") + " " + r.value("config", "");
    nlohmann::json& b = by[pair];
    if (b.is_null()) b = nlohmann::json::object();
    b["minutes"] = b.value("minutes", 0.0) + r.value("minutes", 0.0);
    b["runs"] = b.value("runs", 0) + 1;
    b["false_hangs"] = b.value("false_hangs", 0) + int(r.value("false_hang", false));
    b["kernel_reports"] = b.value("kernel_reports", 0) + int(r.value("detected_by", "") == "kernel");
    b["known_rig_hangs"] = b.value("known_rig_hangs", 0) + int(!r.value("known", "").empty());
  }
  out["false_hangs"] = false_hangs;
  out["known_kernel_hangs"] = known_hangs;
  out["clean_minutes"] = minutes;
  out["clean_by_kernel_config"] = by;
}

void write_json(const nlohmann::json& out, const std::string& file) {
  if (!file.empty() && write_file(file, out.dump(2) + "\n") != 0) throw std::runtime_error("cannot write " + file);
}

// A clean run's hang, from its result.json: found by the rig, and then either a kernel
// hang already triaged as real (the known report's id) or a false one.
struct CleanVerdict {
  bool rig_hang = false, false_hang = false;
  std::string known;
};
CleanVerdict judge_clean(const nlohmann::json& res, const KnownReports& known) {
  CleanVerdict v;
  v.rig_hang = res.contains("crash") && res["crash"].value("detected_by", "") == "rig";
  if (v.rig_hang) v.known = known.id_for_result(res);
  v.false_hang = v.rig_hang && v.known.empty();
  return v;
}

void print_clean_summary(const nlohmann::json& out) {
  for (auto& [pair, b] : out["clean_by_kernel_config"].items())
    fmt::print("clean {}: {:.1f} min over {} runs, false hangs {}, kernel reports {}, known kernel hangs found by the rig {}\n",
               pair, b.value("minutes", 0.0), b.value("runs", 0), b.value("false_hangs", 0), b.value("kernel_reports", 0),
               b.value("known_rig_hangs", 0));
  fmt::print("false hangs: {} over {:.1f} clean minutes ({} known kernel hangs found by the rig)\n",
             out.value("false_hangs", 0), out.value("clean_minutes", 0.0), out.value("known_kernel_hangs", 0));
}
}  // namespace

int rescore_hang_bench(const std::vector<std::string>& files, const std::string& json_out) {
  KnownReports known = load_known_reports_file(known_reports_path());
  nlohmann::json out = {{"rescored", utc_iso8601()}, {"rescored_from", files}, {"deadlocks", nlohmann::json::object()},
                        {"clean_runs", nlohmann::json::array()}};
  for (const auto& f : files) {
    auto in = nlohmann::json::parse(read_file_text(f), nullptr, false);
    if (in.is_discarded() || !in.is_object()) throw std::runtime_error(f + ": not a bench hang JSON");
    for (const char* k : {"date", "deadlock_kernel", "runs_per_kind", "host", "commands"})
      if (in.contains(k) && !out.contains(k)) out[k] = in[k];
    const nlohmann::json deadlocks = in.value("deadlocks", nlohmann::json::object());
    for (auto& [kind, v] : deadlocks.items()) out["deadlocks"][kind] = v;
    for (auto r : in.value("clean_runs", nlohmann::json::array())) {
      // The run's own result, classified with the known reports as listed now.
      std::string dir = r.value("run_dir", "");
      if (dir.empty()) throw std::runtime_error(f + ": a clean run without its run_dir (a bench from before --rescore)");
      auto res = nlohmann::json::parse(read_file_text(fs::path(dir) / "result.json"), nullptr, false);
      if (res.is_discarded() || !res.is_object()) throw std::runtime_error(dir + "/result.json: corrupt");
      CleanVerdict v = judge_clean(res, known);
      r["known"] = v.known;
      r["false_hang"] = v.false_hang;
      out["clean_runs"].push_back(r);
    }
  }
  summarise_clean(out);
  write_json(out, json_out);
  print_clean_summary(out);
  return out.value("false_hangs", 0) == 0 ? 0 : 1;
}

int run_hang_bench(const HangBenchOptions& o) {
  nlohmann::json out = {{"date", utc_iso8601()}, {"deadlock_kernel", o.deadlock_kernel}, {"runs_per_kind", o.runs}};
  KernelImage img;
  if (o.runs > 0) img = find_kernel_image(o.deadlock_kernel, false);
  nlohmann::json kinds = nlohmann::json::object();
  bool all_ok = true;
  bool interrupted = false;  // Ctrl-C or SIGTERM ended a run: the bench stops there, its figures kept
  for (const auto& kind : o.runs > 0 ? o.kinds : std::vector<std::string>{}) {
    if (interrupted) break;
    std::vector<double> secs;
    nlohmann::json runs = nlohmann::json::array();
    int named = 0, by_rig = 0, infra = 0;
    uint64_t seed = o.seed;
    for (int i = 0; i < o.runs && !interrupted; i++, seed++) {
      DeadlockRun d = run_deadlock(kind, img, o.runs_dir, seed);
      // A guest that never got ready (TCG under load) tells nothing about hangs: counted
      // apart and run again with the next seed, twice at most per run.
      for (int retry = 0; retry < 2 && d.outcome.result.value("result", "") == "infra" && d.formed_t < 0; retry++) {
        infra++;
        fmt::print("{} seed {}: infrastructure ({}), again with seed {}\n", kind, seed,
                   d.outcome.result.contains("infra") ? d.outcome.result["infra"].value("kind", "") : "", seed + 1);
        d = run_deadlock(kind, img, o.runs_dir, ++seed);
      }
      if (d.outcome.result.value("result", "") == "interrupted") {
        interrupted = true;
        break;
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

  // Clean runs: every hang the rig reports here is a false one, unless it is a kernel
  // hang already triaged as real (corpora/known-reports.yaml, matched on the title,
  // the report body and the guest's release): counted apart.
  nlohmann::json clean = nlohmann::json::array();
  KnownReports known = load_known_reports_file(known_reports_path());
  if (o.clean_seconds > 0 && !interrupted) {
    for (const auto& k : o.clean_kernels) {
      KernelImage ki = find_kernel_image(k, true);
      for (const auto& c : o.clean_configs) {
        // A run that ends early (a real kernel report, a dead guest) is followed by
        // another with the next seed, until the pair has clean_seconds of running.
        double got = 0;
        uint64_t seed = o.seed;
        for (int attempt = 0; got < o.clean_seconds - 1 && attempt < 20 && !interrupted; attempt++, seed++) {
          SessionOptions so;
          so.topo = load_topology_file(resolve_topology(c));
          so.topo.duration_s = std::max(60.0, o.clean_seconds - got);
          so.topo.seed = seed;
          so.image = ki;
          so.runs_dir = o.runs_dir;
          so.tag = "clean-" + c;
          auto r = run_session(so);
          const auto& res = r.result;
          if (res.value("result", "") == "interrupted") interrupted = true;
          CleanVerdict v = judge_clean(res, known);
          double minutes = res.value("run_seconds", 0.0) / 60;
          got += minutes * 60;
          nlohmann::json checks = res.value("hang_checks", nlohmann::json::object());
          clean.push_back({{"kernel", k}, {"config", c}, {"seed", seed}, {"run_dir", r.run_dir.string()},
                           {"result", res.value("result", "")}, {"minutes", minutes}, {"false_hang", v.false_hang}, {"known", v.known},
                           {"crash", res.contains("crash") ? res["crash"].value("title", "") : ""},
                           {"detected_by", res.contains("crash") ? res["crash"].value("detected_by", "") : ""},
                           {"hang_checks", checks}});
          fmt::print("clean {} {} seed {}: {} after {:.1f} min ({:.1f} of {:.1f}), hang checks {} (cleared {}), false hang: {}{}\n",
                     k, c, seed, res.value("result", ""), minutes, got / 60, o.clean_seconds / 60, checks.value("checks", 0),
                     checks.value("cleared", 0), v.false_hang ? "YES" : v.rig_hang ? "no (known: " + v.known + ")" : "no",
                     res.contains("crash") ? " (" + res["crash"].value("title", "") + ")" : "");
          std::fflush(stdout);
        }
      }
    }
  }
  out["clean_runs"] = clean;
  out["interrupted"] = interrupted;
  summarise_clean(out);
  write_json(out, o.json_out);
  print_clean_summary(out);
  if (interrupted) {
    fmt::print("interrupted: the figures above are partial\n");
    return 130;
  }
  return all_ok && out.value("false_hangs", 0) == 0 ? 0 : 1;
}
}  // namespace pcirig
