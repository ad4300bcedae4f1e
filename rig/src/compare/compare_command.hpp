// `pcirig compare --base K1 --candidate K2`: the same configs and seeds on both
// kernels, interleaved base, candidate, base, candidate so that host load hits
// both alike; the verdict of compare_verdict.hpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "config/topology.hpp"

namespace pcirig {

struct CompareOptions {
  std::string base, candidate;   // kernel names, image.json paths, trees or images (find_kernel_image)
  Topology topo;                 // the config; its seed (if any) is pair 0's, pair i uses seed + i
  int runs = 5;                  // pairs
  double time_s = 60;            // each run ends at its first crash or after this long
  std::string accel;
  std::filesystem::path runs_dir;  // the compare directory goes in here
  std::string json_out;          // also written to <compare dir>/compare.json
  bool status_line = false;
};

// Returns 0 when every run was made, 2 when none could be (or interrupted).
int run_compare(const CompareOptions& o);
}  // namespace pcirig
