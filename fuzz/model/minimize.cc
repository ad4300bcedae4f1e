// Shrinking a reproducer, keeping the report title:
// 1. structure: drop calls and tasks one at a time; for each smaller
//    scenario, look for a schedule (seeded random walks) that still ends in
//    the same title;
// 2. schedule: drop chunks of decision bytes, then lower the bytes left.
#include <random>

#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

namespace pcirig::model {
namespace {

constexpr int SEARCH_RUNS = 3000;

bool drop_call(const Scenario& in, std::size_t t, std::size_t k, Scenario& out) {
  out = in;
  out.tasks[t].erase(out.tasks[t].begin() + static_cast<long>(k));
  if (!out.tasks[t].empty()) return true;
  if (out.tasks.size() <= 2) return false;
  out.tasks.erase(out.tasks.begin() + static_cast<long>(t));
  for (auto& calls : out.tasks)
    for (auto& c : calls) {
      if (c.call != Call::perf_read) continue;
      if (c.arg == t) return false;  // someone names the task we dropped
      if (c.arg > t) --c.arg;
    }
  return true;
}

void shrink_devices(Scenario& s) {
  if (s.topo) return;  // the topology is fixed
  int maxdev = 0;
  for (auto& calls : s.tasks)
    for (auto& c : calls) maxdev = std::max<int>(maxdev, c.dev);
  s.ndevs = maxdev + 1;
}

}  // namespace

std::vector<std::uint8_t> minimize_input(std::vector<std::uint8_t> in, const RunConfig& cfg_in) {
  RunConfig cfg = cfg_in;
  cfg.keep_trace = false;
  RunResult base = run_bytes(in, cfg);
  if (!base.has_report) return in;
  const std::string title = base.report.title;
  auto same = [&](const std::vector<std::uint8_t>& cand) {
    RunResult r = run_bytes(cand, cfg);
    return r.has_report && r.report.title == title;
  };
  if (auto canon = to_bytes(base); same(canon)) in = canon;

  // 1. structure
  Scenario best = base.scenario;
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t t = 0; t < best.tasks.size() && !progress; ++t)
      for (std::size_t k = 0; k < best.tasks[t].size() && !progress; ++k) {
        Scenario cand;
        if (!drop_call(best, t, k, cand)) continue;
        shrink_devices(cand);
        for (int seed = 0; seed < SEARCH_RUNS; ++seed) {
          RandomChooser ch(static_cast<std::uint64_t>(seed));
          RunResult r = run_scenario(cand, ch, cfg);
          if (r.has_report && r.report.title == title) {
            best = cand;
            in = to_bytes(r);
            progress = true;
            break;
          }
        }
      }
  }

  // 2. schedule bytes (after the scenario prefix)
  const std::size_t prefix = encode_scenario(best).size();
  for (std::size_t chunk = (in.size() - prefix) / 2; chunk >= 1; chunk /= 2) {
    for (std::size_t i = prefix; i + chunk <= in.size();) {
      std::vector<std::uint8_t> cand(in.begin(), in.begin() + static_cast<long>(i));
      cand.insert(cand.end(), in.begin() + static_cast<long>(i + chunk), in.end());
      if (same(cand)) in = std::move(cand);
      else i += chunk;
    }
  }
  for (std::size_t i = prefix; i < in.size(); ++i)
    for (std::uint8_t v = 0; v < in[i]; ++v) {
      auto cand = in;
      cand[i] = v;
      if (same(cand)) {
        in = std::move(cand);
        break;
      }
    }
  RunResult fin = run_bytes(in, cfg);
  auto canon = to_bytes(fin);
  return same(canon) && canon.size() <= in.size() ? canon : in;
}

}  // namespace pcirig::model
