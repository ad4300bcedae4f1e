// One finished run of a campaign, as the ledger, the history and the reports see it.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace pcirig {

struct RunRecord {
  int index = 0, round = 0;
  std::string cell, kind;          // kind: vm | model | repro
  uint64_t seed = 0;
  std::string result;              // clean | kernel_crash | model_report | infra; repro: reproduced | not_reproduced | infra
  std::string title;               // crash or model report title ("" when none; a repro run finds no new crash)
  std::string detail;              // infra kind, or what the model run printed last
  std::string run_dir;             // relative to the campaign directory
  std::string started, ended;      // UTC ISO-8601
  double start_offset_s = 0, end_offset_s = 0;  // since the campaign started (charts' x axis)
  double seconds = 0;              // storm (vm) or search (model) time
  double boot_seconds = -1;        // QEMU start -> agent ready
  std::string kernel, kernel_identity, topology, config_hash;
  double host_load = 0;            // highest 1-minute load average during the run
  double reads_per_s = 0, resets_per_s = 0;  // medians over the run's stats intervals
  long long plug_cycles = 0;       // devices plugged and unplugged again
  bool new_title = false;          // no campaign before had this title (set by the history)
  std::string known;               // the crash's entry in corpora/known-reports.yaml ("" when none)
  // repro: the bundle's crash, and how often the attempts brought it back
  std::string repro_title;
  int repro_reproduced = 0, repro_attempts = 0;  // attempts: those that got a verdict
  double repro_rate = 0;
  bool crashed() const { return !title.empty(); }
  // A corpus crash that no longer reproduces: a failure of its cell.
  bool repro_lost() const { return kind == "repro" && result == "not_reproduced"; }
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RunRecord, index, round, cell, kind, seed, result, title, detail, run_dir,
                                                started, ended, start_offset_s, end_offset_s, seconds, boot_seconds,
                                                kernel, kernel_identity, topology, config_hash, host_load, reads_per_s,
                                                resets_per_s, plug_cycles, new_title, known, repro_title, repro_reproduced,
                                                repro_attempts, repro_rate)
}  // namespace pcirig
