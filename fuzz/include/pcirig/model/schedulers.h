// Schedule sources besides fuzz bytes: uniform random walk, PCT (Burckhardt
// et al., ASPLOS 2010) and exhaustive DFS with a preemption bound. Every
// random choice comes from a recorded seed; every run they make can be saved
// as bytes (to_bytes) and replayed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pcirig/model/run.h"

namespace pcirig::model {

// The running task keeps running while it can; else the lowest enabled id.
class NonPreemptiveChooser final : public Chooser {
 public:
  int choose(std::span<const int> cand, int cur, std::uint64_t) override {
    for (std::size_t i = 0; i < cand.size(); ++i)
      if (cand[i] == cur) return static_cast<int>(i);
    return 0;
  }
};

// Switch task at every decision (lowest id after the running one).
class RoundRobinChooser final : public Chooser {
 public:
  int choose(std::span<const int> cand, int cur, std::uint64_t) override {
    for (std::size_t i = 0; i < cand.size(); ++i)
      if (cand[i] > cur) return static_cast<int>(i);
    return 0;
  }
};

// splitmix64: tiny state, cheap to seed once per run (mt19937_64 seeding
// cost more than a whole model run).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : s_(seed) {}
  std::uint64_t operator()() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t s_;
};

class RandomChooser final : public Chooser {
 public:
  explicit RandomChooser(std::uint64_t seed) : rng_(seed) {}
  int choose(std::span<const int> cand, int cur, std::uint64_t step) override;

 private:
  SplitMix64 rng_;
};

// PCT with depth d: random distinct priorities, d-1 priority change points
// drawn uniformly over the first k steps; the highest-priority enabled task
// runs. Change points are applied at the next decision at or after them.
class PctChooser final : public Chooser {
 public:
  PctChooser(std::uint64_t seed, int depth, int ntasks, std::uint64_t k);
  int choose(std::span<const int> cand, int cur, std::uint64_t step) override;

 private:
  std::vector<int> prio_;
  std::vector<std::uint64_t> change_;  // sorted step numbers
  std::size_t next_change_ = 0;
};

enum class SchedulerKind { random, pct, dfs };
const char* scheduler_name(SchedulerKind s);

// Random scenarios under random or PCT schedules until a report, the time cap
// or max_runs. Seeds of run i: seed + i.
struct CampaignResult {
  bool found = false;
  std::uint64_t runs = 0;
  std::uint64_t steps = 0;  // scheduling points over all runs: per-run work, to compare rates
  double seconds = 0;
  RunResult first;                  // the first report's run
  std::vector<std::uint8_t> input;  // its bytes, replayable with run_bytes
  std::map<std::string, std::uint64_t> known;  // skip_known: runs per known finding
};
CampaignResult campaign(SchedulerKind s, const RunConfig& cfg, std::uint64_t seed, double time_cap_s,
                        std::uint64_t max_runs, int pct_depth = 3);

// Stateless DFS over all schedules of `sc` with at most `bound` preemptions
// (switching away from a task that could continue).
struct DfsResult {
  std::uint64_t schedules = 0;
  bool found = false;
  bool complete = false;  // false: stopped by max_schedules
  RunResult first;
  std::vector<std::uint8_t> input;
  std::map<std::string, std::uint64_t> known;  // skip_known: schedules per known finding
};
DfsResult dfs_explore(const Scenario& sc, const RunConfig& cfg, int bound, std::uint64_t max_schedules);

}  // namespace pcirig::model
