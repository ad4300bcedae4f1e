#include "workload.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

namespace pcirig::agent {

Workload::Retired Workload::start(const WorkloadSpec& spec) {
  Retired old = retire();
  ctx_ = std::make_unique<WorkerContext>(WorkerContext{root_, board_, counters_, spec, {agent_bdf_, spec.match}, notes_});
  // Pinned (the default), worker n runs on CPU n mod ncpus, so a reader and a
  // resetter are on different CPUs whenever there are two, and the placement
  // is the same from run to run. Unpinned, the guest scheduler migrates woken
  // waiters to whichever CPU is free, as it does for a user's shell loops.
  const long ncpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  int n = 0;
  auto spawn = [&](Role role, int count, void (*body)(WorkerContext&, Prng, std::stop_token)) {
    for (int i = 0; i < count; ++i, ++n) {
      Prng rng = Prng::for_worker(spec.seed, static_cast<std::uint32_t>(role), static_cast<std::uint32_t>(i));
      WorkerContext* ctx = ctx_.get();
      const int cpu = static_cast<int>(n % ncpus);
      const bool pin = spec.pin_cpus;
      threads_.emplace_back([ctx, rng, body, cpu, pin](std::stop_token st) {
        if (pin) {
          cpu_set_t set;
          CPU_ZERO(&set);
          CPU_SET(cpu, &set);
          ::sched_setaffinity(0, sizeof set, &set);  // best effort: a failure only loses the placement
        }
        body(*ctx, rng, st);
      });
    }
  };
  spawn(Role::reader, spec.readers, run_config_reader);
  spawn(Role::resetter, spec.resetters, run_resetter);
  spawn(Role::remove_rescan, spec.rescanners, run_remove_rescan);
  spawn(Role::rebinder, spec.binders, run_rebinder);
  spawn(Role::vfio, spec.vfio, run_vfio_cycler);
  return old;
}

Workload::Retired Workload::retire() {
  for (auto& t : threads_) t.request_stop();
  Retired r{std::move(ctx_), std::move(threads_)};
  threads_.clear();
  return r;
}

}  // namespace pcirig::agent
