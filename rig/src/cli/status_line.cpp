#include "cli/status_line.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "util/duration.hpp"

namespace pcirig {
std::string format_status(const StatusFigures& f) {
  return fmt::format("[{}] {} / {} left | plug {} unplug {} | reads/s {:.0f} resets/s {:.1f} | vfio {} | crashes {}",
                     f.phase, format_duration(f.elapsed), format_duration(std::max(0.0, f.total - f.elapsed)), f.plugs,
                     f.unplugs, f.reads_per_s, f.resets_per_s, f.vfio_cycles, f.crashes);
}
void StatusLine::update(const StatusFigures& f) { show(format_status(f)); }
void StatusLine::show(const std::string& text) {
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  drawn_ = true;
}
void StatusLine::clear() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}
}  // namespace pcirig
