// Driver unbind/bind: unbinding runs the driver's remove() (which may reset or
// touch config space) and bind runs probe(), both under device_lock.
#include "worker_context.hpp"

namespace pcirig::agent {

void run_rebinder(WorkerContext& ctx, Prng rng, std::stop_token st) {
  while (!st.stop_requested()) {
    // vfio-pci belongs to the vfio workers' cycle; leave it to them.
    auto dev = pick_device(ctx, rng, [](const PciDevice& d) { return d.driver && *d.driver != "vfio-pci"; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    const auto dir = ctx.root.pci_device(dev->bdf);
    int err = write_text_file(dir / "driver/unbind", dev->bdf);
    if (err == 0) {
      ctx.counters.unbinds.fetch_add(1, std::memory_order_relaxed);
      err = write_text_file(ctx.root.pci_drivers() / *dev->driver / "bind", dev->bdf);
      if (err == 0) ctx.counters.binds.fetch_add(1, std::memory_order_relaxed);
      else count_failure(ctx, err, ctx.counters.bind_errors, "bind to " + *dev->driver);
      // Whatever happened, let the bus find it a driver again.
      if (err != 0) write_text_file(ctx.root.root / "sys/bus/pci/drivers_probe", dev->bdf);
    } else {
      count_failure(ctx, err, ctx.counters.bind_errors, "unbind");
    }
    pause_for(st, ctx.spec.reset_interval_ms);
  }
}

}  // namespace pcirig::agent
