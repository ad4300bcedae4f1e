// Resetter: `echo 1 > .../reset` on a random eligible function. The reset path
// (pci_reset_function -> pci_dev_lock, pci_cfg_access_lock) blocks config
// access while readers race it: the 2019 panic's wait queue.
#include "worker_context.hpp"

namespace pcirig::agent {

void run_resetter(WorkerContext& ctx, Prng rng, std::stop_token st) {
  while (!st.stop_requested()) {
    auto dev = pick_device(ctx, rng, [](const PciDevice& d) { return d.has_reset; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    int err = write_text_file(ctx.root.pci_device(dev->bdf) / "reset", "1");
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(1))
      ctx.counters.slow_ops.fetch_add(1, std::memory_order_relaxed);
    if (err == 0) ctx.counters.resets.fetch_add(1, std::memory_order_relaxed);
    else count_failure(ctx, err, ctx.counters.reset_errors, "reset");
    pause_for(st, ctx.spec.reset_interval_ms);
  }
}

}  // namespace pcirig::agent
