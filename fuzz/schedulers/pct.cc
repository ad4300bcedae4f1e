// PCT: probabilistic concurrency testing with bug depth d.
#include <algorithm>

#include "pcirig/model/schedulers.h"

namespace pcirig::model {

PctChooser::PctChooser(std::uint64_t seed, int depth, int ntasks, std::uint64_t k) {
  SplitMix64 rng(seed);
  // Initial priorities d, d+1, ... d+n-1 in random order (higher runs first).
  prio_.resize(ntasks);
  for (int i = 0; i < ntasks; ++i) prio_[i] = depth + i;
  for (int i = ntasks - 1; i > 0; --i) std::swap(prio_[i], prio_[rng() % (i + 1)]);
  if (k == 0) k = 1;
  for (int i = 1; i < depth; ++i) change_.push_back(rng() % k);
  std::sort(change_.begin(), change_.end());
}

int PctChooser::choose(std::span<const int> cand, int cur, std::uint64_t step) {
  // The i-th change point lowers the running task's priority to d-1-i (below
  // every initial priority, later change points lower still).
  while (next_change_ < change_.size() && change_[next_change_] <= step) {
    if (cur >= 0) prio_[cur] = static_cast<int>(change_.size() - next_change_) - 1;
    ++next_change_;
  }
  int best = 0;
  for (std::size_t i = 1; i < cand.size(); ++i)
    if (prio_[cand[i]] > prio_[cand[best]]) best = static_cast<int>(i);
  return best;
}

}  // namespace pcirig::model
