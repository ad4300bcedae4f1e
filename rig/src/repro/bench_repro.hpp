// `pcirig bench repro`: a crash found on a kernel (the regression kernel by default),
// then repro with N attempts, then --minimize; prints and saves the figures: the rate
// (target: 8 of 10 within 60 s each), the median time to the crash, the minimised
// reproducer's size against the original's.
#pragma once
#include <string>

#include "session/session.hpp"

namespace pcirig {

struct BenchReproOptions {
  int attempts = 10;
  double time_limit_s = 60;
  double find_limit_s = 600;         // each run looking for the crash
  int find_runs = 5;                 // runs looking for it, at most
  std::string from;                  // a crash run or bundle to start from instead
  bool minimize = true;
  int minimize_attempts = 3;
  std::string json_out;
};

// base: the session the crash is looked for with (topology, kernel, accel, runs dir).
int bench_repro(const SessionOptions& base, const BenchReproOptions& o);
}  // namespace pcirig
