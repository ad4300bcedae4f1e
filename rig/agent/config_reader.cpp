// Config-space reader: pread(2) of each present function's sysfs `config` (or
// only of the reset targets), in the workload's sizes (1, 2, 4 and the whole
// space by default), round-robin over devices. Each read goes through
// pci_user_read_config_*() and so through pci_cfg_access / pci_lock, the
// locking under test. File descriptors stay open across hot-unplug on
// purpose: reading a removed device must fail cleanly (ENODEV), not crash.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "worker_context.hpp"

namespace pcirig::agent {

namespace {

struct OpenConfig {
  int fd = -1;
  std::size_t size = 0;  // 256 (conventional) or 4096 (extended)
};

}  // namespace

void run_config_reader(WorkerContext& ctx, Prng rng, std::stop_token st) {
  const std::vector<int>& sizes = ctx.spec.read_sizes;  // 0 = whole space; empty reads whole
  std::map<std::string, OpenConfig> open;
  std::vector<unsigned char> buf(4096);
  std::uint64_t turn = 0;
  VcpuYield yield;
  auto drop = [&](const std::string& bdf) {
    auto it = open.find(bdf);
    if (it != open.end()) {
      ::close(it->second.fd);
      open.erase(it);
    }
  };
  // The board's listing this reader last acted on, and what it reads of it. Both
  // change only when the agent publishes a new listing, not on every pass.
  DeviceBoard::Snapshot seen, snap;
  while (!st.stop_requested()) {
    if (auto now = ctx.board.snapshot(); now != seen) {
      seen = now;
      // Only the functions the resetters hit: every reader then spends its
      // time where config access is blocked, so pci_cfg_wait is rarely empty.
      snap = ctx.spec.read_targets_only
                 ? std::make_shared<const std::vector<PciDevice>>(mutable_devices(*now, ctx.rules))
                 : now;
      // Close descriptors of functions that left the listing, so a long run
      // does not accumulate them; one read on a stale fd has already happened.
      for (auto it = open.begin(); it != open.end();) {
        bool present = false;
        for (const auto& d : *snap) present = present || d.bdf == it->first;
        if (present) { ++it; continue; }
        ::close(it->second.fd);
        it = open.erase(it);
      }
    }
    if (snap->empty()) {
      pause_for(st, 50);
      continue;
    }
    for (std::size_t i = 0; i < snap->size() && !st.stop_requested(); ++i, ++turn) {
      const PciDevice& d = (*snap)[(turn + i) % snap->size()];
      auto it = open.find(d.bdf);
      if (it == open.end()) {
        int fd = ::open((ctx.root.pci_device(d.bdf) / "config").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          count_failure(ctx, errno, ctx.counters.read_errors, "open config");
          continue;
        }
        struct stat sb {};
        std::size_t size = (::fstat(fd, &sb) == 0 && sb.st_size > 0) ? static_cast<std::size_t>(sb.st_size) : 256;
        it = open.emplace(d.bdf, OpenConfig{fd, std::min<std::size_t>(size, buf.size())}).first;
      }
      const std::size_t width =
          sizes.empty() ? 0 : static_cast<std::size_t>(sizes[(turn / snap->size()) % sizes.size()]);
      std::size_t len = width ? width : it->second.size;
      off_t off = width ? static_cast<off_t>(rng.below(it->second.size / width) * width) : 0;
      ssize_t n = ::pread(it->second.fd, buf.data(), len, off);
      if (n >= 0) {
        ctx.counters.config_reads.fetch_add(1, std::memory_order_relaxed);
        ctx.counters.config_bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      } else {
        int err = errno;
        count_failure(ctx, err, ctx.counters.read_errors, "pread config");
        drop(d.bdf);  // reopen next time: the function may be a new one at the same address
      }
      yield.after_work();
    }
  }
  for (auto& [bdf, oc] : open) ::close(oc.fd);
}

}  // namespace pcirig::agent
