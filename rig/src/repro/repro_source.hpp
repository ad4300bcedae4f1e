// What `pcirig repro` replays: a run directory or a crash bundle (bundle.hpp), read
// and checked before any guest starts. A missing or corrupt config, seed, journal
// or kernel identity is refused with the file named (ReproInputError).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "hotplug/injector.hpp"
#include "images/kernel_image.hpp"
#include "report/crash_timing.hpp"

namespace pcirig {

class ReproInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A crash's signature: what title matching compares (title_match.hpp).
struct CrashSignature {
  std::string title, kind, function;
  bool corrupted = false;
};

struct ReproSource {
  std::filesystem::path dir;
  bool is_bundle = false;
  Topology topo;                     // config.yaml, seed applied
  uint64_t seed = 0;
  std::string journal_text;
  std::vector<ReplayOp> replay;      // the journal's plug/unplug decisions
  nlohmann::json identity;           // image.json as saved: the kernel's identity
  std::string accel;                 // accel.json's, "" when absent
  nlohmann::json original;           // result.json as saved
  std::optional<CrashSignature> crash;          // the original crash, if the run crashed
  double original_seconds_to_crash = -1;        // from the journal, -1 when unknown
};

// Reads and checks PATH (throws ReproInputError naming the file at fault).
ReproSource load_repro_source(const std::filesystem::path& path);

// The kernel to boot for `src`: the bundle's own kernel files, else an image (in the
// cache or where the run found it) with the same cache_key, else the cache's image of
// the same name, built from its recipe when missing. `exact` says whether the
// cache_key matched; `from` says where it came from (bundle | run | cache).
struct ResolvedKernel {
  KernelImage image;
  bool exact = false;
  std::string from;
};
ResolvedKernel resolve_repro_kernel(const ReproSource& src);


// How closely an attempt followed the journal: the hot-plug decisions it made and the
// recorded ones it had to skip (slot gone, or never in the recorded state).
struct ReplayFidelity {
  int plugs = 0, unplugs = 0, skipped = 0;
};
ReplayFidelity replay_fidelity_from_journal(const std::string& journal_text);
}  // namespace pcirig
