// Monotonic and wall time in the forms the run files use.
#pragma once
#include <string>

namespace pcirig {
// Seconds since the process started counting (CLOCK_MONOTONIC): journal and transcript times.
double mono_seconds();
// Wall-clock ISO-8601 UTC, for result.json and run ids.
std::string utc_iso8601();
std::string utc_compact();  // 20261125-204200
}  // namespace pcirig
