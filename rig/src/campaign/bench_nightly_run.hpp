// `pcirig bench nightly`: run a short campaign on the bench plan through the campaign
// engine (run_campaign), sample the orchestrator while it runs, then write the figures.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pcirig {

struct BenchNightlyOptions {
  std::string plan;                       // "" = rig/plans/bench-nightly.yaml
  double minutes = 20;                    // the campaign's --hours
  int parallel = 2;
  std::vector<std::string> kernels;       // as nightly --kernel
  std::optional<uint64_t> seed;
  std::string accel;
  std::filesystem::path out_dir;          // "" = <repo>/runs
  std::string json_out;                   // the figures; also <campaign>/bench-nightly.json
  double sample_interval_s = 1;
  // A bench's campaign directory: its figures computed again from its files (the known
  // kernel reports as the list is now), nothing run; written to json_out only.
  std::filesystem::path rescore;
};

// 0: figures written; 2: the campaign was refused, or stopped early (interrupted, disk
// full: the figures of what ran are still written).
int run_bench_nightly(const BenchNightlyOptions& o);

// rig/plans/bench-nightly.yaml
std::string bench_nightly_plan_path();
}  // namespace pcirig
