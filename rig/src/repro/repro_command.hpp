// `pcirig repro PATH` for a run directory or a crash bundle: check the input, find the
// kernel, run the attempts, print and save the verdict (docs/repro.md).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "repro/attempts.hpp"

namespace pcirig {

struct ReproRequest {
  std::filesystem::path path;
  ReproOptions options;
  bool time_limit_given = false;     // else: 60 s, or twice the original's time to crash if longer
  std::string json_out;
  bool minimize = false;
  int minimize_attempts = 3;         // attempts per minimising step
  std::string kernel;                // --kernel: replay on this kernel (a name, image.json, tree or image), not the run's
};

// The exit code: 0 reproduced at least once, 1 not, 2 no verdict (infrastructure).
// Bad input throws ReproInputError (or ConfigError) before any guest starts.
// `verdict`, when given, gets the JSON written to --json.
int run_repro(ReproRequest req, nlohmann::json* verdict = nullptr);
}  // namespace pcirig
