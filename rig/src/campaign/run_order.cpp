#include "campaign/run_order.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

namespace pcirig {

RunOrder::RunOrder(const Plan& plan, uint64_t campaign_seed) : plan_(plan), seed_(campaign_seed) {
  // Round-robin over the cells (a cell with runs: 3 comes up in the first three passes),
  // so a campaign cut short has touched every cell rather than finished the first one.
  int most = 0;
  for (auto& c : plan.cells) most = std::max(most, c.runs);
  for (int pass = 0; pass < most; pass++)
    for (size_t c = 0; c < plan.cells.size(); c++)
      if (plan.cells[c].runs > pass) slots_.push_back(int(c));
}

PlannedRun RunOrder::at(int index) const {
  PlannedRun r;
  r.index = index;
  r.round = index / int(slots_.size());
  r.cell = &plan_.cells[slots_[index % slots_.size()]];
  r.seed = run_seed(seed_, index);
  return r;
}

void pin_cells(Plan& plan, const std::vector<std::string>& ids) {
  std::set<std::string> keep(ids.begin(), ids.end());
  std::erase_if(plan.cells, [&](const PlanCell& c) { return !keep.count(c.id); });
  std::vector<std::string> have;
  for (auto& c : plan.cells) have.push_back(c.id);
  if (have == ids) return;
  std::string gone;
  for (auto& w : ids)
    if (std::find(have.begin(), have.end(), w) == have.end()) gone += (gone.empty() ? "" : ", ") + w;
  throw std::runtime_error(fmt::format("the plan's cells are not the campaign's any more ({}): start a new campaign",
                                       gone.empty() ? "their order changed" : "gone: " + gone));
}

uint64_t run_seed(uint64_t campaign_seed, int index) {
  uint64_t z = campaign_seed + 0x9e3779b97f4a7c15ULL * uint64_t(index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) >> 1;  // the topology loader's seeds are non-negative YAML integers: keep 63 bits
}

Shard parse_shard(const std::string& text) {
  Shard s;
  size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("");
    size_t a = 0, b = 0;
    s.index = std::stoi(text.substr(0, slash), &a);
    s.count = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::runtime_error(fmt::format("--shard '{}': expected I/N, e.g. 2/4", text));
  }
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw std::runtime_error(fmt::format("--shard '{}': need 1 <= I <= N", text));
  return s;
}
}  // namespace pcirig
