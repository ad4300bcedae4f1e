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

// One cycle on `dev`; returns 0 or the errno of the step that failed.
int vfio_cycle(WorkerContext& ctx, const PciDevice& dev) {
  namespace fs = std::filesystem;
  const auto dir = ctx.root.pci_device(dev.bdf);
  std::error_code ec;
  const fs::path group_link = fs::read_symlink(dir / "iommu_group", ec);
  if (ec) return ENOENT;
  const std::string group = group_link.filename().string();

  if (dev.driver && *dev.driver != "vfio-pci") {
    if (int err = write_text_file(dir / "driver/unbind", dev.bdf)) return err;
  }
  int result = 0;
  if (int err = write_text_file(dir / "driver_override", "vfio-pci")) return err;
  if (!dev.driver || *dev.driver != "vfio-pci") {
    result = write_text_file(ctx.root.pci_drivers() / "vfio-pci/bind", dev.bdf);
  }
  if (result == 0) {
    Fd container{::open((ctx.root.dev() / "vfio/vfio").c_str(), O_RDWR | O_CLOEXEC)};
    Fd grp{::open((ctx.root.dev() / "vfio" / group).c_str(), O_RDWR | O_CLOEXEC)};
    if (container.fd < 0 || grp.fd < 0) {
      result = errno;
    } else if (::ioctl(container.fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
      result = EPROTO;
    } else {
      vfio_group_status status{};
      status.argsz = sizeof status;
      if (::ioctl(grp.fd, VFIO_GROUP_GET_STATUS, &status) < 0) result = errno;
      else if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) result = EBUSY;  // another function of the group is not on vfio
      else if (::ioctl(grp.fd, VFIO_GROUP_SET_CONTAINER, &container.fd) < 0) result = errno;
      else if (::ioctl(container.fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) result = errno;
      else {
        Fd device{::ioctl(grp.fd, VFIO_GROUP_GET_DEVICE_FD, dev.bdf.c_str())};
        if (device.fd < 0) result = errno;
        else if (::ioctl(device.fd, VFIO_DEVICE_RESET) < 0) result = errno;
      }
    }
  }
  // Give the function back whatever happened: unbind from vfio-pci, clear the
  // override (a lone newline clears it), let the bus probe its own driver.
  write_text_file(ctx.root.pci_drivers() / "vfio-pci/unbind", dev.bdf);
  write_text_file(dir / "driver_override", "\n");
  write_text_file(ctx.root.root / "sys/bus/pci/drivers_probe", dev.bdf);
  return result;
}

}  // namespace

void run_vfio_cycler(WorkerContext& ctx, Prng rng, std::stop_token st) {
  while (!st.stop_requested()) {
    auto dev = pick_device(ctx, rng, [](const PciDevice& d) { return d.has_iommu_group; });
    if (!dev) {
      pause_for(st, 100);
      continue;
    }
    int err = vfio_cycle(ctx, *dev);
    if (err == 0) ctx.counters.vfio_cycles.fetch_add(1, std::memory_order_relaxed);
    else count_failure(ctx.counters, err, ctx.counters.vfio_errors);
    pause_for(st, ctx.spec.reset_interval_ms);
  }
}

}  // namespace pcirig::agent
