#include "repro/attempts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "session/session.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

Reproducer reproducer_of(const ReproSource& src) { return {src.topo, src.replay}; }

int ReproOutcome::completed() const {
  int n = 0;
  for (const auto& a : per_attempt) n += a.result == "kernel_crash" || a.result == "clean";
  return n;
}

int ReproOutcome::reproduced() const {
  int n = 0;
  for (const auto& a : per_attempt) n += a.match.reproduced;
  return n;
}

double ReproOutcome::rate() const { return completed() ? double(reproduced()) / completed() : 0.0; }

int ReproOutcome::exit_code() const {
  if (reproduced() > 0) return 0;
  return completed() > 0 && !interrupted ? 1 : 2;
}

namespace {

AttemptResult one_try(const ReproSource& src, const KernelImage& kernel, const Reproducer& r, const ReproOptions& o,
                      int index, int retry) {
  SessionOptions so;
  so.topo = r.topo;
  so.topo.seed = src.seed;
  so.topo.duration_s = o.time_limit_s;
  so.image = kernel;
  so.accel = o.accel.empty() ? src.accel : o.accel;
  so.runs_dir = o.runs_dir;
  so.tag = retry ? fmt::format("repro-a{}r{}", index, retry) : fmt::format("repro-a{}", index);
  if (o.follow_journal) so.replay = r.replay;
  SessionOutcome out = run_session(so);
  const auto& res = out.result;
  AttemptResult a;
  a.index = index;
  a.run_dir = out.run_dir;
  a.result = res.value("result", "infra");
  if (res.value("end_cause", "") == "interrupted") a.result = "interrupted";
  a.ready_seconds = out.ready_seconds;
  a.start_mode = out.start_mode;
  if (a.result == "infra" && res.contains("infra")) a.infra.push_back(res["infra"].value("kind", "infra"));
  std::string journal = read_file_text(out.run_dir / "journal.jsonl");
  a.replay = replay_fidelity_from_journal(journal);
  if (a.result == "kernel_crash" && res.contains("crash")) {
    const auto& c = res["crash"];
    a.crash = CrashSignature{c.value("title", ""), c.value("kind", ""), c.value("function", ""), c.value("corrupted", false)};
    CrashTiming t = crash_timing_from_journal(journal);
    a.seconds_to_crash = t.seconds >= 0 ? t.seconds : res.value("run_seconds", 0.0);
    a.phase = t.phase.empty() ? "storm" : t.phase;
  }
  if (a.result == "kernel_crash" || a.result == "clean") a.match = match_crash(*src.crash, a.crash);
  return a;
}

void print_attempt(const AttemptResult& a, int total) {
  std::string what = a.result == "kernel_crash"
                         ? fmt::format("{} after {:.1f} s ({}): {} [{}]", a.match.reproduced ? "REPRODUCED" : "OTHER CRASH",
                                       a.seconds_to_crash, a.phase, a.crash->title, a.match.rule)
                     : a.result == "clean" ? std::string("no crash [no-crash]")
                                           : fmt::format("{} ({})", a.result, fmt::join(a.infra, ", "));
  fmt::print("  attempt {}/{}: {}{}\n", a.index, total, what,
             a.infra.empty() || a.result == "infra" ? "" : fmt::format(" after {} infra retr{}", a.infra.size(),
                                                                        a.infra.size() == 1 ? "y" : "ies"));
  std::fflush(stdout);
}
}  // namespace

ReproOutcome run_attempts(const ReproSource& src, const KernelImage& kernel, const Reproducer& r, const ReproOptions& o) {
  if (!src.crash) throw std::logic_error("run_attempts: the source has no crash to reproduce");
  ReproOutcome out;
  out.per_attempt.resize(o.attempts);
  std::atomic<int> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  int misses = 0;
  auto worker = [&] {
    for (int i; !stop && (i = next++) < o.attempts;) {
      AttemptResult a;
      std::vector<std::string> infra;
      for (int retry = 0;; retry++) {
        a = one_try(src, kernel, r, o, i + 1, retry);
        if (a.result != "infra") break;
        {
          std::lock_guard l(mu);
          out.infra_failures++;
        }
        infra.insert(infra.end(), a.infra.begin(), a.infra.end());
        if (retry >= o.infra_retries) break;
      }
      if (a.result != "infra") a.infra.insert(a.infra.begin(), infra.begin(), infra.end());
      else a.infra = infra;
      if (a.result == "interrupted") stop = true;
      std::lock_guard l(mu);
      out.per_attempt[i] = a;
      if (o.max_misses >= 0 && (a.result == "kernel_crash" || a.result == "clean") && !a.match.reproduced &&
          ++misses > o.max_misses)
        stop = true;  // the bar cannot be met any more: minimising moves on
      if (!o.quiet) print_attempt(a, o.attempts);
    }
  };
  int p = std::max(1, std::min(o.parallel, o.attempts));
  std::vector<std::thread> threads;
  for (int t = 1; t < p; t++) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  // Attempts never started (Ctrl-C) are left out.
  std::erase_if(out.per_attempt, [](const AttemptResult& a) { return a.index == 0; });
  out.interrupted = std::any_of(out.per_attempt.begin(), out.per_attempt.end(),
                                [](const AttemptResult& a) { return a.result == "interrupted"; });
  return out;
}
}  // namespace pcirig
