#include "tools/speed.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "util/median.hpp"

using json = nlohmann::json;

namespace pcirig::tools {
namespace {

constexpr double kTargetPerExec = 2.0;

}  // namespace

json speed_from_turns(const std::string& tsv, std::string& error) {
  std::ifstream f(tsv);
  if (!f) {
    error = "cannot read " + tsv;
    return nullptr;
  }
  json turns = json::array();
  std::vector<double> per_exec, per_step;
  std::string line, variant;
  int lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    std::istringstream in(line);
    std::string v;
    double secs, lf, lf_steps, rnd, rnd_steps;
    std::string extra;
    if (!(in >> v >> secs >> lf >> lf_steps >> rnd >> rnd_steps) || (in >> extra) || lf <= 0 || lf_steps <= 0 ||
        rnd <= 0 || rnd_steps <= 0) {
      error = tsv + ":" + std::to_string(lineno) +
              ": expected variant, seconds and four positive figures (libFuzzer execs/s and steps/run, random runs/s "
              "and steps/run)";
      return nullptr;
    }
    if (!variant.empty() && v != variant) {
      error = tsv + ":" + std::to_string(lineno) + ": turns of two variants (" + variant + ", " + v + ")";
      return nullptr;
    }
    variant = v;
    double e = rnd / lf, s = (rnd * rnd_steps) / (lf * lf_steps);
    per_exec.push_back(e);
    per_step.push_back(s);
    turns.push_back({{"seconds", secs},
                     {"libfuzzer_execs_per_second", lf},
                     {"libfuzzer_steps_per_run", lf_steps},
                     {"random_runs_per_second", rnd},
                     {"random_steps_per_run", rnd_steps},
                     {"ratio_per_exec", e},
                     {"ratio_per_step", s}});
  }
  if (turns.empty()) {
    error = tsv + ": no turns";
    return nullptr;
  }
  double m = median(per_exec);
  return {{"variant", variant},
          {"turns", turns},
          {"median_ratio_per_exec", m},
          {"median_ratio_per_step", median(per_step)},
          {"target_ratio_per_exec", kTargetPerExec},
          {"met", m <= kTargetPerExec}};
}

void print_speed(const json& speed) {
  for (const auto& t : speed["turns"])
    std::printf("speed %s: libFuzzer %.0f execs/s (%.1f steps/run), random %.0f runs/s (%.1f steps/run): %.2fx per exec, %.2fx per step\n",
                speed["variant"].get<std::string>().c_str(), t["libfuzzer_execs_per_second"].get<double>(),
                t["libfuzzer_steps_per_run"].get<double>(), t["random_runs_per_second"].get<double>(),
                t["random_steps_per_run"].get<double>(), t["ratio_per_exec"].get<double>(),
                t["ratio_per_step"].get<double>());
  std::printf("speed: random/libFuzzer %.2fx per exec, %.2fx per step (median of %zu turns); target %.0fx per exec: %s\n",
              speed["median_ratio_per_exec"].get<double>(), speed["median_ratio_per_step"].get<double>(),
              speed["turns"].size(), speed["target_ratio_per_exec"].get<double>(),
              speed["met"].get<bool>() ? "met" : "MISSED");
}

}  // namespace pcirig::tools
