// N replays of one reproducer, P at once: each boots the same kernel and topology with
// the same seed and follows the journal's hot-plug decisions in order and spacing. An
// attempt that ends in an infrastructure fault is run again (up to infra_retries) and
// the fault counted apart: it says nothing about the kernel.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "repro/repro_source.hpp"
#include "repro/title_match.hpp"

namespace pcirig {

struct ReproOptions {
  int attempts = 5;
  int parallel = 1;
  double time_limit_s = 60;          // each attempt's storm, at most
  std::string accel;                 // "" = what the run used
  std::filesystem::path runs_dir;    // where the attempts' run directories go
  bool follow_journal = true;        // false: the seeded PRNG drives the storm
  int infra_retries = 2;
  bool quiet = false;                // no line per attempt on stdout
  int max_misses = -1;               // >= 0: stop once more attempts than this did not reproduce
};

// What is replayed: the source's topology and journal, or a shrunk copy (minimize.hpp).
struct Reproducer {
  Topology topo;
  std::vector<ReplayOp> replay;
};
Reproducer reproducer_of(const ReproSource& src);

struct AttemptResult {
  int index = 0;                     // 1-based
  std::filesystem::path run_dir;
  std::string result;                // kernel_crash | clean | infra | interrupted
  std::optional<CrashSignature> crash;
  double seconds_to_crash = -1;
  std::string phase;                 // storm | boot (crashes only)
  double ready_seconds = -1;
  std::string start_mode;  // cold | snapshot_taken | snapshot (docs/rig.md "Snapshots")
  ReplayFidelity replay;             // what the attempt's journal shows of the replay
  MatchVerdict match;
  std::vector<std::string> infra;    // the infra kinds of the tries before this one (and this one's, if infra)
};

struct ReproOutcome {
  std::vector<AttemptResult> per_attempt;
  int infra_failures = 0;            // infra runs, retried ones included
  bool interrupted = false;
  int completed() const;             // attempts that got a kernel verdict (crash or clean)
  int reproduced() const;
  double rate() const;               // reproduced / completed, 0 when none completed
  // 0 the crash came back at least once, 1 it did not, 2 no attempt got a verdict.
  int exit_code() const;
};

ReproOutcome run_attempts(const ReproSource& src, const KernelImage& kernel, const Reproducer& r, const ReproOptions& o);
}  // namespace pcirig
