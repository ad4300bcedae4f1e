#include "campaign/time_budget.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "util/duration.hpp"

namespace pcirig {

double parse_hours(const std::string& text) {
  // The whole text a number: hours. strtod alone would read "1.2.3" as 1.2 and stod
  // throws a bare "stod" on ".".
  char* end = nullptr;
  double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  std::optional<double> seconds;
  if (!text.empty() && end == text.c_str() + text.size()) {
    if (std::isfinite(v)) seconds = v * 3600;
  } else {
    seconds = parse_duration_seconds(text);
  }
  if (!seconds || !std::isfinite(*seconds) || *seconds <= 0)
    throw std::runtime_error(fmt::format("--hours '{}': not a time like 8 (hours), 90m or 30s", text));
  return *seconds / 3600;
}

bool run_may_start(int index, int round_runs, double budget_s, double spent_s) {
  if (budget_s <= 0) return index < round_runs;
  return spent_s < budget_s;
}
}  // namespace pcirig
