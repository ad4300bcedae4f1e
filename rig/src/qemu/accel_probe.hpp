// Which accelerator to use. KVM when it really runs a guest; TCG otherwise. A /dev/kvm
// that opens is not enough (nested paravirtual KVM here aborts with -cpu host, or boots
// 30-50x slower than TCG): a tiny boot of the real kernel must reach user space before a
// short deadline. The answer is cached per (qemu version, kernel) so runs don't pay it.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace pcirig {

struct AccelChoice {
  std::string accel;        // kvm | tcg
  std::string reason;       // why: "requested", "no /dev/kvm", "probe: ...", "cached probe: ..."
  double probe_seconds = 0; // time the KVM probe boot took (0 when none ran)
  nlohmann::json to_json() const;
};

// requested: auto | kvm | tcg (CLI --accel overrides YAML machine.accel).
AccelChoice choose_accel(const std::string& requested, const std::filesystem::path& kernel,
                         const std::filesystem::path& initramfs, double deadline_s = 8.0, bool use_cache = true);

// Boot the kernel under `accel` until it reaches user space or the deadline passes.
// Returns seconds to user space, or a negative number on failure (reason filled in).
double probe_boot(const std::string& accel, const std::filesystem::path& kernel, const std::filesystem::path& initramfs,
                  double deadline_s, std::string& reason);

// Watchdog and boot timeouts: TCG is slower at everything.
double accel_time_scale(const std::string& accel);
}  // namespace pcirig
