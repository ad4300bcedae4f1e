#include "history/history_text.hpp"

#include <fmt/format.h>

namespace pcirig {
std::string format_history(const std::vector<TitleHistory>& titles) {
  if (titles.empty()) return "no crash titles recorded\n";
  std::string out;
  for (auto& t : titles) {
    out += fmt::format("{}\n", t.title);
    out += fmt::format("  seen {} time{}: first {} (campaign {}), last {}\n", t.count, t.count == 1 ? "" : "s",
                       t.first_seen, t.first_campaign, t.last_seen);
    out += fmt::format("  kernels: {}\n  topologies: {}\n", t.kernels, t.topologies);
    out += fmt::format("  best reproducer ({:.1f} s to the crash): {}\n", t.best_seconds, t.best_repro);
  }
  return out;
}
}  // namespace pcirig
