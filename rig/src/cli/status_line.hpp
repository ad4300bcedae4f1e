// The live status line on a terminal: elapsed / left, plug and unplug cycles, config
// reads/s, resets/s, vfio cycles, crashes. Redrawn in place on stderr.
#pragma once
#include <string>

namespace pcirig {
struct StatusFigures {
  std::string phase;
  double elapsed = 0, total = 0;
  long long plugs = 0, unplugs = 0, vfio_cycles = 0;
  double reads_per_s = 0, resets_per_s = 0;
  int crashes = 0;
};
std::string format_status(const StatusFigures& f);

class StatusLine {
 public:
  void update(const StatusFigures& f);
  void show(const std::string& text);  // any one line (the nightly campaign's)
  void clear();
 private:
  bool drawn_ = false;
};
}  // namespace pcirig
