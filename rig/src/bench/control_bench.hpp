// bench control: the regression kernel's time to crash, from a cold boot and from
// the tuple's snapshot in turn (rates and medians side by side), and the fixed
// kernel's clean time. Prints each run as it ends; Ctrl-C ends it with what it has.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "session/session.hpp"

namespace pcirig {

struct ControlBenchOptions {
  int runs = 5;                 // regression runs per start mode
  double fixed_seconds = 1800;  // total running time on the fixed kernel
  double crash_limit = 600;     // a regression run is given up after this long
  std::optional<uint64_t> seed; // first seed; run i uses seed+i (fixed runs: seed+1000+i)
  // One run's options on a kernel ("regression", "fixed") with a seed (none: random).
  std::function<SessionOptions(const std::string& kernel, std::optional<uint64_t> seed)> session;
};

nlohmann::json bench_control(const ControlBenchOptions& opt);

}  // namespace pcirig
