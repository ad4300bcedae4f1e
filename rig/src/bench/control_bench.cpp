#include "bench/control_bench.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "session/run_summary.hpp"
#include "util/median.hpp"

namespace pcirig {

nlohmann::json bench_control(const ControlBenchOptions& opt) {
  nlohmann::json j;
  // regression: each run until it crashes or opt.crash_limit passes, from a cold boot and
  // from the tuple's snapshot in turn (same seed), so both meet the same host load.
  struct ModeFigures {
    std::vector<double> times;       // crashed runs only
    std::vector<double> all_times;   // every run; one that did not crash counts as never (infinity)
    std::vector<std::string> titles;
    int runs = 0, crashed = 0;
  };
  std::map<std::string, ModeFigures> modes;  // "cold", "snapshot"
  bool interrupted = false;
  for (int i = 0; i < opt.runs && !interrupted; i++) {
    for (bool snapshot : {false, true}) {
      SessionOptions o = opt.session("regression", opt.seed ? std::optional<uint64_t>(*opt.seed + uint64_t(i)) : std::nullopt);
      o.topo.duration_s = opt.crash_limit;
      o.status_line = false;
      o.snapshot = snapshot && o.snapshot;
      o.tag = "control-regression";
      auto out = run_session(o);
      print_run_summary(out);
      if (out.exit_code == 2 && out.result.value("end_cause", "") == "interrupted") {
        interrupted = true;  // Ctrl-C ends the bench; the cut-short run counts for nothing
        break;
      }
      // A run that had to take the snapshot first still booted cold.
      ModeFigures& m = modes[out.start_mode == "snapshot" ? "snapshot" : "cold"];
      m.runs++;
      if (out.exit_code == 1) {
        m.crashed++;
        m.times.push_back(out.result.value("run_seconds", 0.0));
        m.all_times.push_back(m.times.back());
        m.titles.push_back(out.result["crash"].value("title", ""));
      } else {
        m.all_times.push_back(std::numeric_limits<double>::infinity());
      }
    }
  }
  // The median is over all runs: when it lands on a run that never crashed, it is
  // only known to exceed the crash limit, so it is null with that bound beside it.
  auto figures = [&](const ModeFigures& m) {
    double med = median(m.all_times);
    nlohmann::json med_json = (m.all_times.empty() || std::isinf(med)) ? nlohmann::json(nullptr) : nlohmann::json(med);
    return nlohmann::json{{"runs", m.runs}, {"crashed", m.crashed},
                          {"rate", m.runs ? double(m.crashed) / m.runs : 0.0},
                          {"median_seconds_to_crash", med_json},
                          {"median_above_seconds", std::isinf(med) ? nlohmann::json(opt.crash_limit) : nlohmann::json(nullptr)},
                          {"median_over_crashed_seconds", median(m.times)},
                          {"max_seconds_to_crash", m.times.empty() ? -1 : *std::max_element(m.times.begin(), m.times.end())},
                          {"titles", m.titles}};
  };
  j["regression"] = figures(modes["cold"]);
  j["regression_snapshot"] = figures(modes["snapshot"]);
  // fixed: as many runs as fit in opt.fixed_seconds.
  double total = 0;
  int fruns = 0, fcrashes = 0;
  nlohmann::json ftitles = nlohmann::json::array();
  while (total < opt.fixed_seconds && !interrupted) {
    SessionOptions o = opt.session("fixed", opt.seed ? std::optional<uint64_t>(*opt.seed + 1000 + uint64_t(fruns)) : std::nullopt);
    o.topo.duration_s = std::min(600.0, opt.fixed_seconds - total);
    o.status_line = false;
    o.tag = "control-fixed";
    auto out = run_session(o);
    print_run_summary(out);
    fruns++;
    total += std::max(1.0, out.result.value("run_seconds", 0.0));
    if (out.exit_code == 1) fcrashes++, ftitles.push_back(out.result["crash"].value("title", ""));
    if (out.exit_code == 2 && out.result.value("end_cause", "") == "interrupted") break;
  }
  j["fixed"] = {{"runs", fruns}, {"seconds", total}, {"crashes", fcrashes}, {"titles", ftitles}};
  return j;
}

}  // namespace pcirig
