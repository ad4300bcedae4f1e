// Software hot-unplug: `echo 1 > .../remove` then `echo 1 > /sys/bus/pci/rescan`,
// which tears a pci_dev down and enumerates it again while readers, resetters
// and the host's hot-plug storm act on the same bus.
#include "worker_context.hpp"

namespace pcirig::agent {

void run_remove_rescan(WorkerContext& ctx, Prng rng, std::stop_token st) {
  while (!st.stop_requested()) {
    auto dev = pick_device(ctx, rng, [](const PciDevice&) { return true; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    int err = write_text_file(ctx.root.pci_device(dev->bdf) / "remove", "1");
    if (err == 0) ctx.counters.removes.fetch_add(1, std::memory_order_relaxed);
    else count_failure(ctx, err, ctx.counters.rescan_errors, "remove");
    // A short, seeded gap between remove and rescan varies the interleaving.
    if (!pause_for(st, static_cast<int>(rng.below(50)))) {
      // Stopping must not leave the device removed.
      write_text_file(ctx.root.pci_rescan(), "1");
      break;
    }
    err = write_text_file(ctx.root.pci_rescan(), "1");
    if (err == 0) ctx.counters.rescans.fetch_add(1, std::memory_order_relaxed);
    else count_failure(ctx, err, ctx.counters.rescan_errors, "rescan");
    pause_for(st, ctx.spec.reset_interval_ms);
  }
}

}  // namespace pcirig::agent
