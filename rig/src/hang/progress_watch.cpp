#include "hang/progress_watch.hpp"

namespace pcirig {

int64_t ProgressWatch::progress(const AgentStats& s, const std::string& c) {
  // A vanished device (enodev) is progress too: the worker came back from the kernel.
  if (c == "config_reads") return s.config_reads + s.enodev;
  if (c == "resets") return s.resets + s.reset_errors + s.enodev;
  if (c == "rescans") return s.rescans + s.enodev;
  if (c == "binds") return s.binds + s.enodev;
  if (c == "vfio_cycles") return s.vfio_cycles + s.vfio_errors + s.vfio_busy + s.enodev;
  return 0;
}

std::optional<Stall> ProgressWatch::feed(double now, const AgentStats& s) {
  std::optional<Stall> out;
  const std::pair<const char*, int> kinds[] = {{"config_reads", w_.readers}, {"resets", w_.resetters},
                                               {"rescans", w_.rescanners}, {"binds", w_.binders},
                                               {"vfio_cycles", w_.vfio}};
  for (auto& [name, workers] : kinds) {
    if (workers <= 0) continue;
    Track& t = tracks_[name];
    int64_t v = progress(s, name);
    if (v != t.value) {
      t.value = v, t.since = now, t.reported = false;
      continue;
    }
    if (!t.reported && now - t.since >= stall_ && !out) {
      t.reported = true;
      out = Stall{name, now - t.since};
    }
  }
  return out;
}
}  // namespace pcirig
