// Running one scenario under one schedule, and the schedule sources.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/engine.h"
#include "pcirig/model/report.h"
#include "pcirig/model/scenario.h"
#include "pcirig/model/variant.h"

namespace pcirig::model {

// Picks which enabled task runs next. Only asked when there is a choice.
struct Chooser {
  virtual ~Chooser() = default;
  // cand: enabled task ids (ascending), cur: the task that ran last (-1 at
  // start), step: scheduling points executed so far. Returns an index into cand.
  virtual int choose(std::span<const int> cand, int cur, std::uint64_t step) = 0;
};

struct RunConfig {
  const Variant* variant = nullptr;
  OracleConfig oracles;
  bool lockless_config = false;
  std::uint64_t max_steps = 3000;
  bool keep_trace = true;
  StepHook step_hook = nullptr;
  FeatureHook feature_hook = nullptr;  // lock-order and wait-for edges
  // Campaigns draw topology scenarios (hot-plug, vfio, AER ...) too; false:
  // only the access.c calls on dev0/dev1 (inputs without the topology bit).
  bool topology = true;
  // Searches (campaign, dfs_explore) count the known findings of mainline
  // (findings.h) apart and go on; a replay always reports them. A lockdep
  // cycle that is a known finding does not even stop the run: it is noted
  // (RunResult::known_lockdep) and lockdep goes on checking.
  bool skip_known = false;
};

struct RunResult {
  bool has_report = false;
  Report report;
  std::uint64_t steps = 0;
  bool step_bound_hit = false;
  std::vector<TraceEntry> trace;
  std::vector<std::uint8_t> choices;  // index chosen at each decision
  std::vector<TraceEntry> blocked;    // where unfinished tasks were parked at the end
  Scenario scenario;
  const char* known_lockdep = nullptr;  // skip_known: the known finding lockdep saw and let pass
};

RunResult run_scenario(const Scenario& sc, Chooser& chooser, const RunConfig& cfg);

// Arbitrary task bodies (unit tests, crafted cases): each body is called once,
// inside the run, to create that task's root coroutine.
using TaskBody = std::function<Co<void>()>;
RunResult run_bodies(const std::vector<TaskBody>& bodies, int ndevs, Chooser& chooser, const RunConfig& cfg,
                     const std::vector<const char*>& entries = {});

// The fuzz-input view: scenario bytes, then one byte per decision
// (cand[b % n]); when the bytes run out, a random walk seeded by a hash of
// the whole input decides (so every input is a whole schedule).
RunResult run_bytes(std::span<const std::uint8_t> in, const RunConfig& cfg);
std::vector<std::uint8_t> to_bytes(const RunResult& r);  // scenario + choices: replays r

// Shrinks a reproducing input: the result ends in the same report title.
std::vector<std::uint8_t> minimize_input(std::vector<std::uint8_t> in, const RunConfig& cfg);

// The per-task timeline in kernel function names, ending in the report.
std::string format_timeline(const RunResult& r);
std::string format_report(const RunResult& r);

}  // namespace pcirig::model
