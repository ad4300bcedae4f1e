// `pcirig repro --minimize`: shrink a reproducer while its crash still comes back at
// the measured rate or better. Steps, each kept only when its attempts reproduce:
// a shorter run, no hot-plug at all, one slot fewer (its events and its port), fewer
// hot-plug cycles (halves, then quarters), fewer workers of each kind, one cold
// device fewer. The result is a bundle beside the original (docs/repro.md).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "repro/attempts.hpp"

namespace pcirig {

// A reproducer's size: what minimising shrinks.
struct ReproSize {
  size_t hotplug_events = 0, slots = 0, workers = 0, devices = 0;
  double run_seconds = 0;  // the attempts' time limit
  nlohmann::json to_json() const;
  std::string describe() const;
};
ReproSize size_of(const Reproducer& r, double time_limit_s);

struct MinimizeStep {
  std::string what;
  bool kept = false;
  int reproduced = 0, attempts = 0;
  ReproSize size;  // the candidate's
};

struct MinimizeResult {
  Reproducer best;
  double time_limit_s = 0;
  ReproSize original, minimized;
  std::vector<MinimizeStep> steps;
  std::filesystem::path best_run;     // a reproducing attempt of the best reproducer
  std::filesystem::path bundle;       // written beside the original
  nlohmann::json to_json() const;
};

// baseline: the measured outcome of `src` (its rate is the bar; its reproducing
// attempts' times set the shorter run). per_step: attempts per candidate.
MinimizeResult minimize_reproducer(const ReproSource& src, const KernelImage& kernel, const ReproOptions& o,
                                   const ReproOutcome& baseline, int per_step);

// Where the minimised bundle goes: RUNDIR/bundle-min, or BUNDLE-min beside a bundle.
std::filesystem::path minimized_bundle_path(const ReproSource& src);
}  // namespace pcirig
