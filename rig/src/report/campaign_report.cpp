#include "report/campaign_report.hpp"

#include <algorithm>
#include <map>

namespace pcirig {
std::vector<TitleGroup> group_by_title(const CampaignReport& r) {
  std::vector<TitleGroup> out;
  std::map<std::string, size_t> at;
  for (auto& run : r.runs) {
    if (!run.crashed()) continue;
    auto [it, fresh] = at.emplace(run.title, out.size());
    if (fresh) out.push_back({run.title, false, run.known, {}, {}});
    TitleGroup& g = out[it->second];
    // Known only when every run of the title is the same known report: one run whose body
    // the list does not explain makes the title unexplained.
    if (run.known != g.known) g.known.clear();
    g.is_new = g.is_new || (run.new_title && run.known.empty());
    g.runs.push_back(&run);
    if (std::find(g.cells.begin(), g.cells.end(), run.cell) == g.cells.end()) g.cells.push_back(run.cell);
  }
  return out;
}
}  // namespace pcirig
