// The deterministic engine: scheduling points, the per-run world, oops().
//
// One process runs one world at a time, single-threaded; tasks are
// coroutines that suspend at every scheduling point and the engine decides
// which enabled task resumes next. Kernel-facing primitives (locks.h,
// sched.h, list.h, wait.h) are built on the few calls declared here.
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pcirig/model/report.h"

namespace pcirig::model {

inline constexpr int MAX_TASKS = 6;
inline constexpr int MAX_DEVS = 8;  // dev0, dev1 on the root bus, then the hot-plug topology and ep1's VF (pci.h)

struct task_struct;
struct lock_base;

enum class PointKind : std::uint8_t {
  step,     // a load, store or list operation: always enabled
  acquire,  // waits until lock->can_take(task, mode)
  sleep,    // schedule(): enabled once the task's state is TASK_RUNNING again
};

// What a task is about to do when it is parked.
struct Point {
  PointKind kind = PointKind::step;
  const char* op = "";         // kernel operation: "raw_spin_lock_irq", "READ", ...
  const char* obj = nullptr;   // the object's name: "pci_lock", "dev0->block_cfg_access"
  const char* fn = "";         // the modelled function doing it
  int line = 0;                // source line in fuzz/ (for the trace)
  lock_base* lock = nullptr;   // acquire points only
  int mode = 0;                // lock mode (read/write for rwsems)
  std::uint8_t subclass = 0;   // lockdep subclass (down_read_nested)
};

// The awaiter behind every scheduling point: park the task with `p` pending.
void park(std::coroutine_handle<> h, const Point& p) noexcept;

struct SchedPoint {
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() const noexcept {}
};

// A plain scheduling point before an access to shared state.
inline SchedPoint sched_point(const char* op, const char* obj, const char* fn = __builtin_FUNCTION(),
                              int line = __builtin_LINE()) {
  return SchedPoint{Point{PointKind::step, op, obj, fn, line}};
}

// Vector clocks for the KCSAN-style data-race oracle (race.cc).
using VClock = std::array<std::uint32_t, MAX_TASKS>;
void vc_join(VClock& into, const VClock& from) noexcept;

// Stop the run with a report: records it, then unwinds the task (throws
// Halt, caught by the engine). Every oracle ends here.
struct Halt {};
[[noreturn]] void oops(ReportKind kind, std::string title, std::string body);

// The first frame that says something, syzkaller style: skips locking and
// list helpers, and (except for memory errors, titled where the access
// happened, e.g. __wake_up_common) generic wait/sched helpers.
std::string title_func(const task_struct* t, bool memory_error = false);
// "func <- caller <- ..." for report bodies.
std::string stack_string(const task_struct* t);
// The same from frames kept earlier, outermost first.
std::string stack_string(std::span<const char* const> frames);

// A task's innermost frames, kept for a report that may never come (lockdep's
// dependency edges, a bitfield's last clear): pointers, formatted only in a report.
struct Frames {
  static constexpr std::size_t MAX = 16;
  std::array<const char*, MAX> f{};
  std::uint8_t n = 0;
  bool cut = false;  // the stack was deeper than MAX
  static Frames of(const task_struct* t);
  std::string str() const;
};

// Objects that live in a task's frame (wait entries, bookmarks): registered
// when constructed, marked dead when the frame dies (registry.cc).
struct StackObject {
  std::uintptr_t begin, end;
  int owner;              // task id
  const char* fn;         // the function whose frame holds it
  const char* what;       // "wait_queue_entry"
  std::uint64_t born, died;  // steps; died == 0: alive
};
void stack_object_born(const void* p, std::size_t n, const char* fn, const char* what) noexcept;
void stack_object_died(const void* p) noexcept;
const StackObject* stack_object_at(const void* p) noexcept;

// One executed scheduling point.
struct TraceEntry {
  std::uint32_t step;
  std::uint8_t task;
  std::uint8_t depth;
  Point p;
};

// The oracles a run enables, like a debug kernel's config. KCSAN is off by
// default: the kernel cannot build KCSAN and KASAN together either.
struct OracleConfig {
  // KASAN-style checks (use after return, poisoned pointers) are always on:
  // the model cannot follow a dead pointer the way real memory would.
  bool debug_list = true;   // CONFIG_DEBUG_LIST
  bool lockdep = true;      // CONFIG_PROVE_LOCKING
  bool atomic_sleep = true; // CONFIG_DEBUG_ATOMIC_SLEEP
  bool hung_task = true;    // CONFIG_DETECT_HUNG_TASK (at quiescence)
  bool kcsan = false;       // CONFIG_KCSAN
  bool protocol = true;     // user accesses must not run while blocked
};

// Optional per-step hook (libFuzzer's abstract-state counters).
using StepHook = void (*)(std::uint64_t abstract_state_hash);
// Optional hook for lock-order and wait-for edges (features.cc), by hash.
using FeatureHook = void (*)(std::uint64_t edge_hash);

// The engine's view of the current run (engine.cc).
struct World {
  OracleConfig oracles;
  bool lockless_config = false;  // CONFIG_PCI_LOCKLESS_CONFIG
  std::uint64_t step = 0;
  std::vector<TraceEntry> trace;
  bool has_report = false;
  Report report;
  std::vector<StackObject> stack_objects;
  StepHook step_hook = nullptr;
  FeatureHook feature_hook = nullptr;
  // Searches: a lockdep cycle that is one of mainline's known findings is
  // noted here (its name) and the run goes on (RunConfig::skip_known).
  bool skip_known = false;
  const char* known_lockdep = nullptr;
};
World& world() noexcept;

}  // namespace pcirig::model

namespace pcirig::model {
// WARN_ON(cond): reports "WARNING in FUNC" (the run stops at it, as with
// panic_on_warn, which is how syzkaller-style rigs run).
bool warn_on(bool cond, const char* cond_text, const char* fn, int line);
}  // namespace pcirig::model
#define WARN_ON(cond) ::pcirig::model::warn_on(static_cast<bool>(cond), #cond, __builtin_FUNCTION(), __builtin_LINE())
