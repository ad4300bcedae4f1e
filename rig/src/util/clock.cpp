#include "util/clock.hpp"

#include <ctime>

namespace pcirig {
double mono_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

static std::string fmt_utc(const char* f) {
  time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char buf[64];
  strftime(buf, sizeof buf, f, &t);
  return buf;
}
std::string utc_iso8601() { return fmt_utc("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_compact() { return fmt_utc("%Y%m%d-%H%M%S"); }
}  // namespace pcirig
