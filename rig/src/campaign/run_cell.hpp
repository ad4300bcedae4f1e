// One run of a plan cell: a guest session (vm), a model search (model) or a crash
// bundle's repro attempts (repro), each in a run directory of its own under
// <campaign>/runs/, summed up as a RunRecord.
#pragma once
#include <atomic>
#include <filesystem>
#include <map>

#include "campaign/plan.hpp"
#include "campaign/run_order.hpp"
#include "campaign/run_record.hpp"
#include "images/kernel_image.hpp"
#include "triage/known_reports.hpp"

namespace pcirig {

struct CellContext {
  const Plan* plan = nullptr;
  std::filesystem::path campaign_dir;
  std::map<std::string, KernelImage> images;  // by the plan's kernel name
  std::filesystem::path model_bin;            // pcirig-model
  std::string accel;                          // "" = each topology's own
  const std::atomic<bool>* stop = nullptr;    // Ctrl-C: model runs end early
  KnownReports known;                         // corpora/known-reports.yaml: a VM run's crash marked known
};

// Throws std::runtime_error when no run could start (e.g. the disk is full).
RunRecord run_vm_cell(const CellContext& ctx, const PlannedRun& run);
RunRecord run_model_cell(const CellContext& ctx, const PlannedRun& run);
RunRecord run_repro_cell(const CellContext& ctx, const PlannedRun& run);

// FNV-1a, 16 hex digits: the config hash the history keeps.
std::string text_hash(const std::string& text);
}  // namespace pcirig
