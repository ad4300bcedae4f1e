// Tasks and the parts of kernel/sched/core.c the wait queue relies on:
// task states, set_current_state(), schedule(), try_to_wake_up() (which
// takes the wakee's pi_lock), plus READ_ONCE/WRITE_ONCE-style shared accesses.
#pragma once

#include <coroutine>
#include <cstdint>
#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/engine.h"
#include "pcirig/model/locks.h"

namespace pcirig::model {

inline constexpr unsigned int TASK_RUNNING = 0x0000;
inline constexpr unsigned int TASK_INTERRUPTIBLE = 0x0001;
inline constexpr unsigned int TASK_UNINTERRUPTIBLE = 0x0002;
inline constexpr unsigned int TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;

struct held_lock {
  lock_base* lock;
  int mode;
  bool trylock;
  const char* fn;  // where it was taken
  int subclass = 0;
  const char* caller = "";  // fn's caller: which walk or path took it
};

struct task_struct {
  int pid = 0;
  char comm[16] = {};
  unsigned int __state = TASK_RUNNING;
  raw_spinlock_t pi_lock;

  // ---- model bookkeeping, not kernel fields ----
  struct model_state {
    int id = 0;
    bool done = true;
    std::coroutine_handle<> leaf;        // where it resumes
    Point pending;                       // what it does when it resumes
    std::vector<const char*> stack;      // modelled call stack, outermost first
    std::vector<held_lock> held;         // lockdep's held_locks
    int preempt_count = 0;               // spinlocks held
    int irqs_off = 0;                    // nesting of interrupt-disabling calls
    bool user_access = false;            // inside a sysfs/vfio user config access
    VClock vc{};                         // happens-before clock (KCSAN oracle)
    VClock wake_vc{};                    // clock handed over by try_to_wake_up
    std::uint64_t slept_at = 0;          // step of the last schedule() with state != RUNNING
    const struct bitfield* last_read = nullptr;  // the last bitfield READ (a WARN_ON's operand)
  } m;
};

// The running task, set by the engine before each resume.
extern task_struct* current;

// ---- shared loads/stores: each is a scheduling point ----
// Races are recorded for the KCSAN oracle; `marked` = READ_ONCE/WRITE_ONCE.
void kcsan_access(const void* addr, std::size_t size, bool write, bool marked, const char* fn);

template <class T>
struct SharedLoad {
  const T* addr;
  bool marked;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  T await_resume() const {
    kcsan_access(addr, sizeof(T), false, marked, p.fn);
    return *addr;
  }
};
template <class T>
struct SharedStore {
  T* addr;
  T value;
  bool marked;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() const {
    kcsan_access(addr, sizeof(T), true, marked, p.fn);
    *addr = value;
  }
};
template <class T>
SharedLoad<T> shared_load(const T* a, bool marked, const char* name, const char* fn, int line) {
  return {a, marked, Point{PointKind::step, marked ? "READ_ONCE" : "READ", name, fn, line}};
}
template <class T, class V>
SharedStore<T> shared_store(T* a, V v, bool marked, const char* name, const char* fn, int line) {
  return {a, static_cast<T>(v), marked, Point{PointKind::step, marked ? "WRITE_ONCE" : "WRITE", name, fn, line}};
}
#define READ_ONCE(x) ::pcirig::model::shared_load(&(x), true, #x, __builtin_FUNCTION(), __builtin_LINE())
#define WRITE_ONCE(x, v) ::pcirig::model::shared_store(&(x), (v), true, #x, __builtin_FUNCTION(), __builtin_LINE())

// set_current_state(): smp_store_mb(current->__state, s).
struct SetState {
  unsigned int state;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() const noexcept;
};
inline SetState set_current_state(unsigned int s, PCIRIG_FN_LINE) {
  return {s, Point{PointKind::step, s == TASK_RUNNING ? "set_current_state(TASK_RUNNING)"
                                                      : "set_current_state(TASK_UNINTERRUPTIBLE)",
                   nullptr, fn, line}};
}
inline SetState __set_current_state(unsigned int s, PCIRIG_FN_LINE) {
  return {s, Point{PointKind::step, s == TASK_RUNNING ? "__set_current_state(TASK_RUNNING)"
                                                      : "__set_current_state(TASK_UNINTERRUPTIBLE)",
                   nullptr, fn, line}};
}

// schedule(): if the state is not TASK_RUNNING the task sleeps until a
// try_to_wake_up() sets it back; a wake-up that came between
// set_current_state() and schedule() makes it return at once.
struct Schedule {
  Point p;
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() const noexcept;
};
inline Schedule schedule(PCIRIG_FN_LINE) { return {Point{PointKind::sleep, "schedule", nullptr, fn, line}}; }

Co<int> try_to_wake_up(task_struct* p, unsigned int state, int wake_flags);

}  // namespace pcirig::model
