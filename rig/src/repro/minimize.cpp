#include "repro/minimize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "repro/bundle.hpp"
#include "repro/repro_report.hpp"
#include "repro/shrink.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

int workers_of(const Workload& w) { return w.readers + w.resetters + w.rescanners + w.binders + w.vfio; }

struct Candidate {
  std::string what;
  Reproducer r;
  double time_limit_s;
};
}  // namespace

nlohmann::json ReproSize::to_json() const {
  return {{"hotplug_events", hotplug_events}, {"slots", slots}, {"workers", workers}, {"devices", devices},
          {"run_seconds", run_seconds}};
}

std::string ReproSize::describe() const {
  return fmt::format("{} hot-plug events on {} slot(s), {} worker(s), {} cold device(s), {:.0f} s", hotplug_events, slots,
                     workers, devices, run_seconds);
}

ReproSize size_of(const Reproducer& r, double time_limit_s) {
  ReproSize s;
  s.hotplug_events = r.topo.hotplug.enabled ? r.replay.size() : 0;
  s.slots = r.topo.hotplug.enabled ? r.topo.hotplug.slots.size() : 0;
  s.workers = workers_of(r.topo.workload);
  s.devices = r.topo.devices.size();
  s.run_seconds = time_limit_s;
  return s;
}

nlohmann::json MinimizeResult::to_json() const {
  nlohmann::json st = nlohmann::json::array();
  for (const auto& s : steps)
    st.push_back({{"what", s.what}, {"kept", s.kept}, {"reproduced", s.reproduced}, {"attempts", s.attempts},
                  {"size", s.size.to_json()}});
  return {{"original", original.to_json()}, {"minimized", minimized.to_json()}, {"steps", st},
          {"bundle", bundle.string()}, {"best_run", best_run.string()}};
}

fs::path minimized_bundle_path(const ReproSource& src) {
  fs::path d = fs::absolute(src.dir).lexically_normal();
  if (d.filename().empty()) d = d.parent_path();
  return src.is_bundle ? d.parent_path() / (d.filename().string() + "-min") : d / "bundle-min";
}

MinimizeResult minimize_reproducer(const ReproSource& src, const KernelImage& kernel, const ReproOptions& o,
                                   const ReproOutcome& baseline, int per_step) {
  MinimizeResult m;
  m.best = reproducer_of(src);
  m.time_limit_s = o.time_limit_s;
  m.original = size_of(m.best, o.time_limit_s);
  double bar = baseline.rate();
  for (const auto& a : baseline.per_attempt)
    if (a.match.reproduced && m.best_run.empty()) m.best_run = a.run_dir;

  // Tries a candidate; keeps it when it reproduces at the bar or better.
  auto attempt = [&](Candidate c) {
    ReproOptions co = o;
    co.attempts = per_step;
    co.time_limit_s = c.time_limit_s;
    co.quiet = true;
    co.max_misses = int(std::floor(per_step * (1 - bar) + 1e-9));
    ReproOutcome out = run_attempts(src, kernel, c.r, co);
    MinimizeStep s{c.what, false, out.reproduced(), int(out.per_attempt.size()), size_of(c.r, c.time_limit_s)};
    s.kept = out.completed() == per_step && out.rate() >= bar - 1e-9;
    fmt::print("  minimize step {}: {}: {} ({}/{} reproduced){}\n", m.steps.size() + 1, c.what,
               s.kept ? "kept" : "dropped", s.reproduced, s.attempts, s.kept ? " -> " + s.size.describe() : "");
    std::fflush(stdout);
    if (s.kept) {
      m.best = c.r;
      m.time_limit_s = c.time_limit_s;
      for (const auto& a : out.per_attempt)
        if (a.match.reproduced) {
          m.best_run = a.run_dir;
          break;
        }
    }
    m.steps.push_back(s);
    return s.kept && !out.interrupted;
  };

  // 1. A shorter run: what the slowest reproducing attempt needed, with a margin.
  double slowest = 0;
  for (const auto& a : baseline.per_attempt)
    if (a.match.reproduced) slowest = std::max(slowest, a.seconds_to_crash);
  double shorter = std::max(10.0, std::ceil(slowest * 1.5 + 5));
  if (shorter < m.time_limit_s) {
    Reproducer r = shorter_run(m.best, shorter);
    attempt({fmt::format("a shorter run: {:.0f} s instead of {:.0f} s", shorter, m.time_limit_s), r, shorter});
  }
  // 2. No hot-plug at all.
  if (m.best.topo.hotplug.enabled && !m.best.topo.hotplug.slots.empty()) {
    Reproducer r = m.best;
    for (auto slots = r.topo.hotplug.slots; const auto& s : slots) r = without_slot(r, s);
    attempt({"no hot-plug", r, m.time_limit_s});
  }
  // 3. One slot fewer, each in turn.
  if (m.best.topo.hotplug.enabled && m.best.topo.hotplug.slots.size() > 1) {
    for (auto slots = m.best.topo.hotplug.slots; const auto& s : slots) {
      if (m.best.topo.hotplug.slots.size() <= 1) break;
      attempt({fmt::format("without slot {}", s), without_slot(m.best, s), m.time_limit_s});
    }
  }
  // 4. Fewer hot-plug cycles: drop halves, then quarters (ddmin's first rounds).
  for (int parts : {2, 4}) {
    if (!m.best.topo.hotplug.enabled) break;
    for (int p = parts - 1; p >= 0; p--) {
      size_t n = hotplug_cycles(m.best.replay).size();
      if (n < size_t(parts)) break;
      size_t from = n * p / parts, to = n * (p + 1) / parts;
      attempt({fmt::format("without hot-plug cycles {}-{} of {}", from + 1, to, n), without_cycles(m.best, from, to),
               m.time_limit_s});
    }
  }
  // 5. Fewer workers of each kind: none, else half.
  struct Kind {
    const char* name;
    int Workload::*n;
  };
  for (Kind k : {Kind{"readers", &Workload::readers}, Kind{"resetters", &Workload::resetters},
                 Kind{"rescanners", &Workload::rescanners}, Kind{"binders", &Workload::binders},
                 Kind{"vfio workers", &Workload::vfio}}) {
    int n = m.best.topo.workload.*(k.n);
    if (n == 0) continue;
    Reproducer r = m.best;
    r.topo.workload.*(k.n) = 0;
    if (attempt({fmt::format("no {} (was {})", k.name, n), r, m.time_limit_s}) || n < 2) continue;
    r = m.best;
    r.topo.workload.*(k.n) = n / 2;
    attempt({fmt::format("{} {} instead of {}", n / 2, k.name, n), r, m.time_limit_s});
  }
  // 6. One cold device fewer, each in turn.
  for (auto devices = m.best.topo.devices; const auto& d : devices) {
    Reproducer r = m.best;
    std::erase_if(r.topo.devices, [&](const Device& x) { return x.id == d.id; });
    attempt({fmt::format("without device {}", d.id), r, m.time_limit_s});
  }
  m.minimized = size_of(m.best, m.time_limit_s);
  // The bundle: from a run of the minimised reproducer that brought the crash back (its
  // config and journal are the minimised ones).
  if (!m.best_run.empty()) m.bundle = write_bundle(m.best_run, minimized_bundle_path(src), false);
  return m;
}
}  // namespace pcirig
