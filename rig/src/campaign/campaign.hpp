// `pcirig nightly`: a campaign over a plan. Runs go N at a time (each a normal run
// directory under <campaign>/runs/), each finished run is written to the ledger, then to
// the history, then into the reports, which are rewritten as the campaign goes.
// Layout of a campaign directory: docs/plan-format.md.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pcirig {

struct CampaignOptions {
  std::string plan;                      // plan file; "" = rig/plans/default.yaml
  double hours = 0;                      // 0: one round of the plan
  int parallel = 0;                      // 0: what the cores and memory allow
  std::string resume;                    // a campaign directory to carry on
  std::string shard;                     // "I/N" or ""
  std::optional<uint64_t> seed;          // campaign seed (default: the plan's, else random and recorded)
  std::string accel;                     // overrides each topology's
  std::filesystem::path out_dir;         // where campaign directories go ("" = <repo>/runs)
  std::filesystem::path history;         // "" = <repo>/runs/history.sqlite
  std::string campaign_id;               // the history's campaign key (shards of one campaign share it)
  std::vector<std::string> kernels;      // --kernel: the vm cells' kernels instead of the plan's (kept for --resume)
  bool explain = false;                  // print the matrix and stop
  bool status_line = false;              // live status on stderr
};

// 0: no crash, 1: crashes found, 2: stopped early (interrupted, disk full) or refused.
int run_campaign(const CampaignOptions& o);

// pcirig-model beside this binary (build/<preset>/fuzz/), or $PCIRIG_MODEL_BIN.
std::filesystem::path model_binary();
}  // namespace pcirig
