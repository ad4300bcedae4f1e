// The campaign's run sequence: run i is a cell and a seed, both fixed by the plan and the
// campaign seed, so a campaign (or one shard of it, or a resumed one) is reproducible.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "campaign/plan.hpp"

namespace pcirig {

struct PlannedRun {
  int index = 0;             // 0-based over the whole campaign (all shards)
  int round = 0;             // how many times the matrix came round before it
  const PlanCell* cell = nullptr;
  uint64_t seed = 0;
};

class RunOrder {
 public:
  RunOrder(const Plan& plan, uint64_t campaign_seed);
  PlannedRun at(int index) const;
  int round_runs() const { return int(slots_.size()); }

 private:
  const Plan& plan_;
  uint64_t seed_;
  std::vector<int> slots_;   // one round: cell index per position, cells interleaved
};

// A resume runs the cells the campaign started with (campaign.json's ids, in order): a
// bundle added to a repro directory since is left out, so run indices stay where they
// were; a cell gone since throws std::runtime_error.
void pin_cells(Plan& plan, const std::vector<std::string>& ids);

// splitmix64 of the campaign seed and the run index.
uint64_t run_seed(uint64_t campaign_seed, int index);

struct Shard {
  int index = 1, count = 1;  // --shard I/N, 1-based
  bool holds(int run_index) const { return run_index % count == index - 1; }
};
// "I/N" with 1 <= I <= N; throws std::runtime_error otherwise.
Shard parse_shard(const std::string& text);
}  // namespace pcirig
