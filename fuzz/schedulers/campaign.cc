// Random scenarios under random or PCT schedules, one seed per run.
#include <chrono>

#include "pcirig/model/findings.h"
#include "pcirig/model/schedulers.h"

namespace pcirig::model {

CampaignResult campaign(SchedulerKind s, const RunConfig& cfg_in, std::uint64_t seed, double time_cap_s,
                        std::uint64_t max_runs, int pct_depth) {
  CampaignResult res;
  RunConfig cfg = cfg_in;
  cfg.keep_trace = false;
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  for (std::uint64_t i = 0; i < max_runs; ++i) {
    if ((i & 63) == 0 && elapsed() > time_cap_s) break;
    SplitMix64 rng(seed + i);
    std::uint8_t bytes[32];
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    if (!cfg.topology) bytes[0] &= 0x7f;
    std::size_t used = 0;
    Scenario sc = decode_scenario(bytes, used);
    RunResult r;
    if (s == SchedulerKind::pct) {
      NonPreemptiveChooser fc;  // a non-preemptive run's length is PCT's k
      std::uint64_t k = run_scenario(sc, fc, cfg).steps;
      PctChooser ch(rng(), pct_depth, static_cast<int>(sc.tasks.size()), k);
      r = run_scenario(sc, ch, cfg);
    } else {
      RandomChooser ch(rng());
      r = run_scenario(sc, ch, cfg);
    }
    ++res.runs;
    res.steps += r.steps;
    if (r.has_report && cfg.skip_known)
      if (const Finding* f = known_finding(r.report)) {
        ++res.known[f->name];
        continue;
      }
    if (!r.has_report && r.known_lockdep) ++res.known[r.known_lockdep];
    if (r.has_report) {
      res.found = true;
      res.input = to_bytes(r);
      res.first = std::move(r);
      break;
    }
  }
  res.seconds = elapsed();
  return res;
}

}  // namespace pcirig::model
