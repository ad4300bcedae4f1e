// Exhaustive stateless DFS with a preemption bound (Musuvathi & Qadeer's
// iterative context bounding): replay a prefix of decisions, continue
// non-preemptively, then backtrack to the deepest decision with an untried
// alternative that stays within the bound.
#include "pcirig/model/findings.h"
#include "pcirig/model/schedulers.h"

namespace pcirig::model {
namespace {

struct Decision {
  int n;          // enabled tasks
  int cur_idx;    // index of the running task among them, -1 if it cannot run
  int rank;       // 0 = the non-preemptive default, then the others ascending
  int preempts;   // preemptions before this decision
};

int rank_to_idx(const Decision& d, int rank) {
  if (d.cur_idx < 0) return rank;
  if (rank == 0) return d.cur_idx;
  int r = rank - 1;
  return r < d.cur_idx ? r : r + 1;
}

class DfsChooser final : public Chooser {
 public:
  explicit DfsChooser(const std::vector<int>& prefix) : prefix_(prefix) {}
  int choose(std::span<const int> cand, int cur, std::uint64_t) override {
    Decision d{static_cast<int>(cand.size()), -1, 0, preempts_};
    for (std::size_t i = 0; i < cand.size(); ++i)
      if (cand[i] == cur) d.cur_idx = static_cast<int>(i);
    std::size_t k = trail.size();
    d.rank = k < prefix_.size() ? prefix_[k] : 0;
    if (d.cur_idx >= 0 && d.rank != 0) ++preempts_;
    trail.push_back(d);
    return rank_to_idx(d, d.rank);
  }
  std::vector<Decision> trail;

 private:
  const std::vector<int>& prefix_;
  int preempts_ = 0;
};

}  // namespace

DfsResult dfs_explore(const Scenario& sc, const RunConfig& cfg_in, int bound, std::uint64_t max_schedules) {
  DfsResult res;
  RunConfig cfg = cfg_in;
  cfg.keep_trace = false;
  std::vector<int> prefix;
  for (;;) {
    if (res.schedules >= max_schedules) return res;
    DfsChooser ch(prefix);
    RunResult r = run_scenario(sc, ch, cfg);
    ++res.schedules;
    const Finding* known = r.has_report && cfg.skip_known ? known_finding(r.report) : nullptr;
    if (known) ++res.known[known->name];
    if (!r.has_report && r.known_lockdep) ++res.known[r.known_lockdep];
    if (r.has_report && !known) {
      res.found = true;
      res.input = to_bytes(r);
      res.first = std::move(r);
      return res;
    }
    // Backtrack.
    auto& t = ch.trail;
    int k = static_cast<int>(t.size()) - 1;
    for (; k >= 0; --k) {
      const Decision& d = t[k];
      int next = d.rank + 1;
      if (next >= d.n) continue;
      int cost = d.cur_idx >= 0 ? 1 : 0;  // any rank > 0 preempts when cur could run
      if (d.preempts + cost > bound) continue;
      prefix.assign(t.size() > 0 ? static_cast<std::size_t>(k) : 0, 0);
      for (int i = 0; i < k; ++i) prefix[i] = t[i].rank;
      prefix.push_back(next);
      break;
    }
    if (k < 0) {
      res.complete = true;
      return res;
    }
  }
}

}  // namespace pcirig::model
