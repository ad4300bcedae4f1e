// vfio cycle, the 2019 scenario: hand a function to vfio-pci, open it through
// a type1 container, VFIO_DEVICE_RESET it, close, and give it back to its
// driver. vfio-pci's open/reset/release paths take pci_cfg_access_lock and
// the device lock while readers and hot-plug act on the same function.
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "worker_context.hpp"

namespace pcirig::agent {

namespace {

// Closes whatever it holds when the cycle ends, on every path.
struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

// The step that failed and its errno; err == 0 means the whole cycle worked.
struct CycleResult {
  int err = 0;
  const char* step = "";
};

// One cycle on `dev`.
CycleResult vfio_cycle(WorkerContext& ctx, const PciDevice& dev) {
  namespace fs = std::filesystem;
  const auto dir = ctx.root.pci_device(dev.bdf);
  std::error_code ec;
  const fs::path group_link = fs::read_symlink(dir / "iommu_group", ec);
  if (ec) return {ENOENT, "iommu_group"};
  const std::string group = group_link.filename().string();

  if (dev.driver && *dev.driver != "vfio-pci") {
    if (int err = write_text_file(dir / "driver/unbind", dev.bdf)) return {err, "unbind"};
  }
  if (int err = write_text_file(dir / "driver_override", "vfio-pci")) return {err, "driver_override"};
  CycleResult r;
  auto fail = [&r](int err, const char* step) {
    if (r.err == 0) r = {err, step};
  };
  if (!dev.driver || *dev.driver != "vfio-pci") {
    if (int err = write_text_file(ctx.root.pci_drivers() / "vfio-pci/bind", dev.bdf)) fail(err, "bind to vfio-pci");
  }
  if (r.err == 0) {
    Fd container{::open((ctx.root.dev() / "vfio/vfio").c_str(), O_RDWR | O_CLOEXEC)};
    if (container.fd < 0) fail(errno, "open /dev/vfio/vfio");
    Fd grp{::open((ctx.root.dev() / "vfio" / group).c_str(), O_RDWR | O_CLOEXEC)};
    if (r.err == 0 && grp.fd < 0) fail(errno, "open /dev/vfio/GROUP");
    if (r.err == 0 && ::ioctl(container.fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) fail(EPROTO, "api version");
    vfio_group_status status{};
    status.argsz = sizeof status;
    if (r.err == 0 && ::ioctl(grp.fd, VFIO_GROUP_GET_STATUS, &status) < 0) fail(errno, "group status");
    // Another function of the group is not on vfio-pci.
    if (r.err == 0 && !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) fail(EBUSY, "group not viable");
    if (r.err == 0 && ::ioctl(grp.fd, VFIO_GROUP_SET_CONTAINER, &container.fd) < 0) fail(errno, "set container");
    if (r.err == 0 && ::ioctl(container.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) fail(errno, "set iommu type1");
    if (r.err == 0) {
      Fd device{::ioctl(grp.fd, VFIO_GROUP_GET_DEVICE_FD, dev.bdf.c_str())};
      if (device.fd < 0) fail(errno, "get device fd");
      else if (::ioctl(device.fd, VFIO_DEVICE_RESET) < 0) fail(errno, "device reset");
    }
  }
  // Give the function back whatever happened: unbind from vfio-pci, clear the
  // override (a lone newline clears it), let the bus probe its own driver.
  write_text_file(ctx.root.pci_drivers() / "vfio-pci/unbind", dev.bdf);
  write_text_file(dir / "driver_override", "\n");
  write_text_file(ctx.root.root / "sys/bus/pci/drivers_probe", dev.bdf);
  return r;
}

}  // namespace

void run_vfio_cycler(WorkerContext& ctx, Prng rng, std::stop_token st) {
  while (!st.stop_requested()) {
    auto dev = pick_device(ctx, rng, [](const PciDevice& d) { return d.has_iommu_group; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    CycleResult r = vfio_cycle(ctx, *dev);
    if (r.err == 0) ctx.counters.vfio_cycles.fetch_add(1, std::memory_order_relaxed);
    // vfio-pci's reset and open only try the device lock, and a bind meets a device
    // another worker or an unplug holds: busy is contention, the load doing its job.
    else if ((r.err == EAGAIN || r.err == EBUSY) && std::string_view(r.step) != "group not viable")
      ctx.counters.vfio_busy.fetch_add(1, std::memory_order_relaxed);
    else count_failure(ctx, r.err, ctx.counters.vfio_errors, std::string("vfio ") + r.step);
    pause_for(st, ctx.spec.reset_interval_ms);
  }
}

}  // namespace pcirig::agent
