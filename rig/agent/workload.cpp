#include "workload.hpp"

namespace pcirig::agent {

Workload::Retired Workload::start(const WorkloadSpec& spec) {
  Retired old = retire();
  ctx_ = std::make_unique<WorkerContext>(WorkerContext{root_, board_, counters_, spec, {agent_bdf_, spec.match}});
  auto spawn = [&](Role role, int count, void (*body)(WorkerContext&, Prng, std::stop_token)) {
    for (int i = 0; i < count; ++i) {
      Prng rng = Prng::for_worker(spec.seed, static_cast<std::uint32_t>(role), static_cast<std::uint32_t>(i));
      WorkerContext* ctx = ctx_.get();
      threads_.emplace_back([ctx, rng, body](std::stop_token st) { body(*ctx, rng, st); });
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
