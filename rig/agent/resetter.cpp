// Resetter: `echo 1 > .../reset` on a random eligible function. The reset path
// (pci_reset_function -> pci_dev_lock, pci_cfg_access_lock) blocks config
// access while readers race it: the 2019 panic's wait queue.
#include <algorithm>
#include <set>

#include "worker_context.hpp"

namespace pcirig::agent {

void run_resetter(WorkerContext& ctx, Prng rng, std::stop_token st) {
  // Functions whose reset_method this worker has set. A function that leaves
  // the listing is forgotten: a new card at that address starts with the
  // kernel's default order again.
  std::set<std::string> method_set;
  while (!st.stop_requested()) {
    auto dev = pick_device(ctx, rng, [](const PciDevice& d) { return d.has_reset; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    if (!ctx.spec.reset_method.empty() && !method_set.contains(dev->bdf)) {
      auto snap = ctx.board.snapshot();
      std::erase_if(method_set, [&](const std::string& bdf) {
        return std::none_of(snap->begin(), snap->end(), [&](const PciDevice& d) { return d.bdf == bdf; });
      });
      // Before 5.15 there is no reset_method file: the kernel's order stays, said once.
      int err = write_text_file(ctx.root.pci_device(dev->bdf) / "reset_method", ctx.spec.reset_method);
      if (err && !device_gone(err) && ctx.notes) ctx.notes->note("reset_method " + ctx.spec.reset_method, err);
      method_set.insert(dev->bdf);
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
