// A nightly plan: a matrix of cells, each run `runs` times per round (docs/plan-format.md).
// VM cells: topology x kernel x workload mix x hot-plug flavour, one guest per run.
// Model cells: variant x scheduler, one pcirig-model (or libFuzzer corpus) run each.
// Repro cells: one saved crash bundle each (corpora/vm/), replayed as `pcirig repro` does.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pcirig {

// A named workload mix: only the keys it sets override the topology's workload.
struct WorkloadMix {
  std::string name;
  std::optional<int> readers, resetters, rescanners, binders, vfio, reset_interval_ms;
  std::optional<std::string> reset_method, readers_on;
};

struct PlanCell {
  enum class Kind { vm, model, repro } kind = Kind::vm;
  std::string id;           // vm:<topology>/<kernel>/<mix>/<hotplug>, model:<variant>/<scheduler>, repro:<bundle>
  int runs = 1;             // runs per round
  double duration_s = 0;    // storm (vm) or search (model) length of each run
  int line = 0;             // the plan line the cell came from
  // vm
  std::string topology;     // as written (a name under rig/configs/ or a path)
  std::string config_path;  // resolved file
  std::string kernel;       // image name or path to image.json
  std::string mix;          // workload mix name; "" = the topology's own workload
  std::string hotplug;      // none | acpi | native
  // model
  std::string variant, scheduler;  // scheduler: random | pct | dfs | libfuzzer
  // repro (duration_s: every attempt at its time limit)
  std::string bundle;       // the bundle directory, absolute
  std::string bundle_title; // the crash it must bring back (bundle.json)
  int attempts = 3;
  double time_limit_s = 0;  // each attempt's storm at most
};
const char* cell_kind_name(PlanCell::Kind k);  // vm | model | repro

struct Plan {
  std::string source;       // file name
  std::string text;         // the YAML as read (copied into the campaign directory)
  std::optional<uint64_t> seed;
  std::map<std::string, WorkloadMix> mixes;
  std::vector<PlanCell> cells;
  std::vector<std::string> notes;  // what --explain says beside the cells (a repro directory with no bundle yet)
  int round_runs() const;   // runs in one round of the matrix
};

// What load_plan needs to know of the world to refuse a plan before anything starts.
struct PlanWorld {
  // true if NAME is a kernel image the rig can boot or build; else why not.
  bool (*kernel_known)(const std::string& name, std::string& why) = nullptr;
  std::vector<std::string> variants;  // pcirig-model list-variants; empty: model cells are refused
  // nightly --kernel: every vm entry runs these kernels instead of its own `kernels:`.
  std::vector<std::string> kernels;
};

// Throws ConfigError naming file:line:column and the key (or the missing name).
Plan load_plan_file(const std::string& path, const PlanWorld& world);
Plan load_plan_text(const std::string& text, const std::string& source, const PlanWorld& world);

// The shipped plan: rig/plans/default.yaml.
std::string default_plan_path();
// A topology as plans name them: a name under rig/configs/ or a path.
std::string resolve_topology(const std::string& name);
// A bundle path as plans name them: relative to the working directory if it is there,
// else to the repository (so `corpora/vm` works from anywhere).
std::string resolve_plan_path(const std::string& path);
}  // namespace pcirig
