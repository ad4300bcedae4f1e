// pcirig-model check: one verdict on a variant (a candidate patch written as a
// model variant): random and PCT schedules for a time, then bounded DFS of the
// 2- and 3-task access.c scenarios (and the variant's own scenario).
#pragma once
#include <cstdint>
#include <string>

#include "pcirig/model/run.h"

namespace pcirig::tools {

struct CheckOptions {
  model::RunConfig cfg;     // the variant and oracles
  double seconds = 60;      // random and PCT share it half and half
  int bound = 2;            // DFS preemption bound
  std::uint64_t seed = 1;
  int pct_depth = 3;
  std::uint64_t max_schedules = 20000000;  // per DFS scenario; more is reported as incomplete
  std::string save;         // where the minimised crash goes ("" = check-VARIANT.pcirig)
};

// The access.c scenario DFS explores for 2..4 tasks (pcirig-model dfs --tasks).
std::string dfs_scenario_for_tasks(int tasks);

// Prints the verdict; 1 on a report, 0 on none, 2 when a DFS stopped early.
int run_check(const CheckOptions& o);
}  // namespace pcirig::tools
