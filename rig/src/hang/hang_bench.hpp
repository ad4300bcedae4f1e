// `pcirig bench hang`: each of the crash test module's deadlocks formed N times (time
// from forming to the rig's report, whether the cycle was named), and clean runs on
// which any hang the rig reports is a false one.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace pcirig {

struct HangBenchOptions {
  std::string deadlock_kernel;  // an image carrying the module (guest-images/testmod/image.sh)
  std::vector<std::string> kinds = {"deadlock_abba", "deadlock_rwsem", "deadlock_cycle3"};
  int runs = 5;
  uint64_t seed = 1;
  double clean_seconds = 0;                 // per (kernel, config); 0: no clean runs
  std::vector<std::string> clean_kernels = {"fixed-lockdep+crashtest", "debian"};  // fixed with lockdep: sysrq d too
  std::vector<std::string> clean_configs = {"default", "switch-tree", "reset-heavy"};
  std::filesystem::path runs_dir;
  std::string json_out;
};

int run_hang_bench(const HangBenchOptions& o);
// Benches' JSON files again, merged (deadlocks by kind, clean runs appended) and each
// clean run's hang classified from its result.json with the known reports as listed
// now: nothing is run. 0 when no false hang is left.
int rescore_hang_bench(const std::vector<std::string>& files, const std::string& json_out);
}  // namespace pcirig
