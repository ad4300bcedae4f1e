// Uniform random walk: each decision picks an enabled task uniformly.
#include "pcirig/model/schedulers.h"

namespace pcirig::model {

int RandomChooser::choose(std::span<const int> cand, int, std::uint64_t) {
  return static_cast<int>(rng_() % cand.size());
}

const char* scheduler_name(SchedulerKind s) {
  switch (s) {
    case SchedulerKind::random: return "random";
    case SchedulerKind::pct: return "pct";
    case SchedulerKind::dfs: return "dfs";
  }
  return "?";
}

}  // namespace pcirig::model
