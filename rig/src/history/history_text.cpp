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

nlohmann::json history_json(const std::vector<TitleHistory>& titles) {
  nlohmann::json j = nlohmann::json::array();
  for (auto& t : titles)
    j.push_back({{"title", t.title}, {"first_seen", t.first_seen}, {"last_seen", t.last_seen}, {"count", t.count},
                 {"first_campaign", t.first_campaign}, {"kernels", t.kernels}, {"topologies", t.topologies},
                 {"best_repro", t.best_repro}, {"best_seconds", t.best_seconds}});
  return j;
}

}  // namespace pcirig
