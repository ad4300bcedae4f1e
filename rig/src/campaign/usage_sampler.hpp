// The orchestrator's own CPU and memory while its guests run, for `bench nightly`:
// this process (every thread: campaign workers, each guest's session loop, reports,
// history) plus its descendants that are neither QEMU nor a model run (the guests and
// the model searches are the work, not the orchestrator). Read from getrusage and /proc.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <map>

namespace pcirig {

// One look, taken every second while the campaign runs and kept in
// <campaign>/bench-usage.jsonl. CPU figures are cumulative seconds.
struct UsageSample {
  double t = 0;               // seconds since the sampler started
  int guests = 0;             // QEMU processes below the orchestrator
  int models = 0;             // model runs (pcirig-model, fuzz.sh) below it
  int helpers = 0;            // other descendants, counted as the orchestrator's
  double self_cpu_s = 0;      // this process, every thread (getrusage RUSAGE_SELF)
  double helpers_cpu_s = 0;   // the helpers' CPU seen so far (sum of /proc deltas)
  double self_rss_mb = 0;     // VmRSS now
  double helpers_rss_mb = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UsageSample, t, guests, models, helpers, self_cpu_s, helpers_cpu_s,
                                                self_rss_mb, helpers_rss_mb)

// /proc/<pid>/stat, the fields the sampler needs. The command name is between the first
// '(' and the last ')': it may hold spaces and parentheses.
struct ProcStat {
  int pid = 0, ppid = 0;
  std::string comm;
  double cpu_s = 0;                // utime + stime
  unsigned long long start = 0;    // starttime (clock ticks since boot)
  double rss_mb = 0;
};
std::optional<ProcStat> parse_proc_stat(const std::string& line);

// What a descendant of the orchestrator is: a guest (QEMU), a model run, or a helper.
enum class ProcRole { guest, model, helper };
ProcRole proc_role(const std::string& comm, const std::string& cmdline);

class UsageSampler {
 public:
  // Walks the descendants of this process (/proc/<pid>/task/<tid>/children); a guest's
  // or model run's own children belong to it and are not walked.
  UsageSample sample(double t);

 private:
  struct Seen {
    unsigned long long start = 0;  // a pid reused by another process is not the same one
    double cpu_s = 0;
  };
  std::map<int, Seen> seen_;       // helpers' CPU at the last look
  double helpers_cpu_s_ = 0;
};
}  // namespace pcirig
