// Shrinking a reproducer: greedy chunk removal, then byte lowering, keeping
// any change after which the run still ends in the same title.
#include "pcirig/model/run.h"

namespace pcirig::model {

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
  // Canonical form first: exactly the scenario plus the decisions used.
  if (auto canon = to_bytes(base); same(canon)) in = canon;
  for (std::size_t chunk = in.size() / 2; chunk >= 1; chunk /= 2) {
    for (std::size_t i = 0; i + chunk <= in.size();) {
      std::vector<std::uint8_t> cand(in.begin(), in.begin() + i);
      cand.insert(cand.end(), in.begin() + i + chunk, in.end());
      if (same(cand)) in = std::move(cand);
      else i += chunk;
    }
  }
  for (std::size_t i = 0; i < in.size(); ++i)
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
