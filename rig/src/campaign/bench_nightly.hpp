// `pcirig bench nightly`: the figures of a short campaign on the bench plan,
// computed from its campaign directory alone (docs/plan-format.md, "Bench").
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace pcirig {

// Targets on this 2-core machine (issue 10, section 3).
struct BenchNightlyTargets {
  double boot_share = 0.10;            // of the guest slots' time, under
  double orchestrator_cpu_percent = 5; // of one core with N guests running, under
  double regression_crash_s = 300;     // from campaign start, within
  int fixed_reports = 0;               // unexplained, on fixed-kernel cells, at most
};

struct KnownReports;

// A pure function of the directory's files: campaign.json, ledger.jsonl, each run's
// result.json and journal.jsonl, and bench-usage.jsonl when it is there. `parallel`:
// the guest slots the campaign ran with. A fixed-kernel report is known when its ledger
// record says so, or (a campaign run before the list had its entry) when `known_list` matches
// its result.json; the rest are unexplained.
nlohmann::json bench_nightly_figures(const std::filesystem::path& campaign_dir, int parallel,
                                     const BenchNightlyTargets& targets = {}, const KnownReports* known_list = nullptr);

// A kernel's family as plans name kernels: "regression" for regression,
// regression-lockdep, regression+crashtest or a path .../regression/image.json;
// likewise "fixed"; "" for any other.
std::string kernel_family(const std::string& kernel);
}  // namespace pcirig
