// What every workload thread shares: where sysfs is, the device board, the
// counters, the workload spec and the rules for which devices it may touch.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "counters.hpp"
#include "device_board.hpp"
#include "eligibility.hpp"
#include "error_notes.hpp"
#include "prng.hpp"
#include "protocol.hpp"
#include "sysfs_root.hpp"

namespace pcirig::agent {

struct WorkerContext {
  SysfsRoot root;
  DeviceBoard& board;
  Counters& counters;
  WorkloadSpec spec;
  EligibilityRules rules;
  ErrorNotes* notes = nullptr;  // where first-of-a-kind failures are told; may be null
};

// Sleep up to `ms`, waking early when the workload is stopped. Returns false
// if stopped.
inline bool pause_for(std::stop_token st, int ms) {
  if (ms <= 0) return !st.stop_requested();
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, st, std::chrono::milliseconds(ms), [] { return false; });
  return !st.stop_requested();
}

// A spin-wait hint (x86 PAUSE) at most once every 4 ms of busy work. On hardware
// or KVM it costs nothing. Under single-threaded TCG it is what lets the other vCPU
// run: QEMU keeps one vCPU on the host thread until it halts, pauses or its 100 ms
// round-robin slice ends. Without it a vCPU busy with a reader kept the other vCPU,
// and the kworker woken there (acpiphp probing a hot-added e1000e, say), waiting up
// to 100 ms per sleep: ACPI unplugs stretched to seconds behind one probe. Rate
// limited because each switch costs TCG a vCPU exit: readers lose about a fifth of
// their reads even so.
class VcpuYield {
 public:
  static constexpr std::chrono::milliseconds kEvery{4};
  // True when it paused.
  bool after_work(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    if (now - last_ < kEvery) return false;
    last_ = now;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return true;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
};

// Count the outcome of one sysfs operation: success is the caller's counter,
// a vanished device is `enodev`, anything else goes to `errors` (and, the
// first time, to the host as a log line naming `what`).
inline void count_failure(WorkerContext& ctx, int err, std::atomic<std::uint64_t>& errors, const std::string& what) {
  if (err == 0) return;
  if (device_gone(err)) {
    ctx.counters.enodev.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  errors.fetch_add(1, std::memory_order_relaxed);
  if (ctx.notes) ctx.notes->note(what, err);
}

// A random device the mutating workers may touch and that satisfies `pred`;
// nullopt when there is none right now.
template <class Pred>
std::optional<PciDevice> pick_device(const WorkerContext& ctx, Prng& rng, Pred pred) {
  auto snap = ctx.board.snapshot();
  std::vector<const PciDevice*> candidates;
  for (const auto& d : *snap)
    if (may_mutate(d, ctx.rules) && pred(d)) candidates.push_back(&d);
  if (candidates.empty()) return std::nullopt;
  return *candidates[rng.below(candidates.size())];
}

// The worker loops; each runs until `st` is stopped.
void run_config_reader(WorkerContext& ctx, Prng rng, std::stop_token st);
void run_resetter(WorkerContext& ctx, Prng rng, std::stop_token st);
void run_remove_rescan(WorkerContext& ctx, Prng rng, std::stop_token st);
void run_rebinder(WorkerContext& ctx, Prng rng, std::stop_token st);
void run_vfio_cycler(WorkerContext& ctx, Prng rng, std::stop_token st);

}  // namespace pcirig::agent
