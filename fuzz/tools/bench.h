// `pcirig-model bench`: each variant under the random, PCT and DFS
// schedulers (libFuzzer rows come from fuzz/scripts/bench.sh via --merge).
#pragma once

#include <string>
#include <vector>

namespace pcirig::tools {

struct BenchOptions {
  std::string json;
  int trials = 10;
  double time_cap = 60;
  std::vector<std::string> variants;  // empty: all
  std::vector<std::string> schedulers{"random", "pct", "dfs"};
  std::vector<std::string> merge;     // JSON files with extra rows
  std::vector<std::string> trial_files;  // TSV trials from bench.sh: variant scheduler found seconds execs kind title
  std::string speed_file;                // TSV turns from bench.sh (speed.h)
  unsigned long long seed = 1;
  int dfs_bound = 2;
  int pct_depth = 5;
};

int run_bench(const BenchOptions& o);

}  // namespace pcirig::tools
