// The outcome of `pcirig repro` as JSON (attempts, reproduced, rate, per_attempt[], ...;
// docs/repro.md) and as the text summary printed after the attempts.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "repro/attempts.hpp"

namespace pcirig {

struct ReproRun {
  const ReproSource* src = nullptr;
  const ResolvedKernel* kernel = nullptr;
  const ReproOptions* options = nullptr;
  const ReproOutcome* outcome = nullptr;
};

nlohmann::json repro_json(const ReproRun& r);
std::string repro_summary(const ReproRun& r);
}  // namespace pcirig
