#include "util/duration.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace pcirig {
std::optional<double> parse_duration_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v < 0) return std::nullopt;
  std::string unit(end);
  if (unit.empty() || unit == "s") return v;
  if (unit == "ms") return v / 1000.0;
  if (unit == "m" || unit == "min") return v * 60.0;
  if (unit == "h") return v * 3600.0;
  return std::nullopt;
}

std::string format_duration(double seconds) {
  long s = std::lround(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m{:02}s", s / 3600, (s / 60) % 60, s % 60);
}
}  // namespace pcirig
