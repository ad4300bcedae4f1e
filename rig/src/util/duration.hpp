// Durations as users type them: 30s, 10m, 1h, 1500ms, or a bare number of seconds.
#pragma once
#include <optional>
#include <string>

namespace pcirig {
std::optional<double> parse_duration_seconds(const std::string& text);
std::string format_duration(double seconds);  // 1m05s
}  // namespace pcirig
