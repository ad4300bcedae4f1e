// Locks: raw spinlocks (pci_lock, pi_lock), the wait queue's spinlock, the
// device mutex and an rwsem. Every acquire and release is a scheduling point;
// an acquire parks the task until the lock can be taken (spinning is not
// modelled as steps: a spinner is simply not enabled).
#pragma once

#include <array>

#include "pcirig/model/co.h"
#include "pcirig/model/engine.h"

namespace pcirig::model {

// A lockdep class key: all task pi_locks share one, like &p->pi_lock.
struct lock_class {
  const char* name;
  int id;  // index in the run's dependency graph (lockdep.cc)
};
lock_class* lockdep_class(const char* name);  // interned by name

// Also lockdep's held_lock::read: LOCK_SHARED is a non-recursive reader
// (down_read: a queued writer blocks it), LOCK_SHARED_RECURSIVE a recursive
// one (lock_map_acquire_read: only a writer holding it blocks it).
enum lock_mode : int { LOCK_EXCLUSIVE = 0, LOCK_SHARED = 1, LOCK_SHARED_RECURSIVE = 2 };

struct lock_base {
  const char* name = "";         // instance name for traces: "pci_lock", "T1->pi_lock"
  lock_class* cls = nullptr;     // nullptr: lockdep_set_novalidate_class (device mutex)
  bool sleeping = false;         // mutex/rwsem: acquiring may sleep
  bool is_map = false;           // a lockdep_map: never blocks, no preemption effect
  VClock vc{};                   // happens-before carried from release to acquire
  virtual ~lock_base() = default;
  virtual bool can_take(const task_struct* t, int mode) const = 0;
  virtual void take(task_struct* t, int mode) = 0;
  virtual void give(task_struct* t, int mode) = 0;
  virtual bool held_by(const task_struct* t) const = 0;
  // Some holder (for the wait-for graph of the deadlock oracle).
  virtual const task_struct* a_holder() const = 0;
  // Whom `t`, waiting to take it in `mode`, waits for (an rwsem reader
  // behind a queued writer waits for that writer).
  virtual const task_struct* blocker(const task_struct* t, int mode) const {
    (void)t, (void)mode;
    return a_holder();
  }
  // A blocking acquire starts waiting / has taken the lock (rwsem fairness).
  virtual void queue(task_struct*, int) {}
  virtual void dequeue(task_struct*, int) {}
  void init(const char* n, const char* cls_name, bool sleeps);
};

struct raw_spinlock_t : lock_base {
  task_struct* owner = nullptr;
  bool can_take(const task_struct*, int) const override { return owner == nullptr; }
  void take(task_struct* t, int) override { owner = t; }
  void give(task_struct*, int) override { owner = nullptr; }
  bool held_by(const task_struct* t) const override { return owner == t; }
  const task_struct* a_holder() const override { return owner; }
};
// Without PREEMPT_RT a spinlock_t behaves as a raw spinlock.
using spinlock_t = raw_spinlock_t;

struct mutex : lock_base {
  task_struct* owner = nullptr;
  bool can_take(const task_struct*, int) const override { return owner == nullptr; }
  void take(task_struct* t, int) override { owner = t; }
  void give(task_struct*, int) override { owner = nullptr; }
  bool held_by(const task_struct* t) const override { return owner == t; }
  const task_struct* a_holder() const override { return owner; }
};

// kernel/locking/rwsem.c: a writer that waits blocks new readers (they
// queue behind it), so a reader holding what the writer's holder needs
// deadlocks even though the lock is "only" read-held.
struct rw_semaphore : lock_base {
  task_struct* writer = nullptr;
  std::array<int, MAX_TASKS> readers{};  // read holds per task (a task may read-lock twice)
  int nreaders = 0;
  std::array<bool, MAX_TASKS> waiting_writers{};
  int nwaiting_writers = 0;
  bool can_take(const task_struct*, int mode) const override {
    if (writer) return false;
    return mode == LOCK_SHARED ? nwaiting_writers == 0 : nreaders == 0;
  }
  void take(task_struct* t, int mode) override;
  void give(task_struct* t, int mode) override;
  bool held_by(const task_struct* t) const override;
  const task_struct* a_holder() const override;
  const task_struct* blocker(const task_struct* t, int mode) const override;
  void queue(task_struct* t, int mode) override;
  void dequeue(task_struct* t, int mode) override;
};

// include/linux/lockdep.h: a lockdep map with no lock behind it
// (lock_map_acquire/lock_map_release), e.g. dev->cfg_access_lock of 7e89efc6e9e4.
struct lockdep_map : lock_base {
  std::array<int, MAX_TASKS> depth{};
  bool can_take(const task_struct*, int) const override { return true; }
  void take(task_struct* t, int) override;
  void give(task_struct* t, int) override;
  bool held_by(const task_struct* t) const override;
  const task_struct* a_holder() const override { return nullptr; }
};

// ---- the awaiters behind the kernel lock API ----

// irq effect of an acquire/release
enum irq_op : int { IRQ_KEEP = 0, IRQ_DISABLE = 1, IRQ_SAVE = 2 };

// lockdep, might_sleep, queueing; irq: the _irq/_irqsave forms disable interrupts before acquiring
void lock_acquire_prepare(lock_base* l, int mode, bool trylock, const Point& p, int irq = IRQ_KEEP);
void lock_acquired(lock_base* l, int mode, int irq, unsigned long* flags, bool trylock);
void lock_released(lock_base* l, int mode, int irq, unsigned long* flags, const Point& p);

struct LockAcquire {
  lock_base* l;
  int mode;
  int irq;
  unsigned long* flags;
  Point p;
  bool await_ready() {
    lock_acquire_prepare(l, mode, false, p, irq);  // may report: the point is recorded first
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() { lock_acquired(l, mode, irq, flags, false); }
};

struct LockTry {
  lock_base* l;
  int mode;
  Point p;
  bool await_ready() {
    lock_acquire_prepare(l, mode, true, p);
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  int await_resume() {
    if (!l->can_take(nullptr, mode)) return 0;
    lock_acquired(l, mode, IRQ_KEEP, nullptr, true);
    return 1;
  }
};

struct LockRelease {
  lock_base* l;
  int mode;
  int irq;
  unsigned long* flags;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() { lock_released(l, mode, irq, flags, p); }
};

#define PCIRIG_LOCK_POINT(kind, op, l) \
  Point { kind, op, (l)->name, fn, line, (l), 0 }
#define PCIRIG_FN_LINE const char *fn = __builtin_FUNCTION(), int line = __builtin_LINE()

inline LockAcquire raw_spin_lock(raw_spinlock_t* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::acquire, "raw_spin_lock", l)};
}
inline LockRelease raw_spin_unlock(raw_spinlock_t* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "raw_spin_unlock", l)};
}
inline LockAcquire raw_spin_lock_irq(raw_spinlock_t* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_DISABLE, nullptr, PCIRIG_LOCK_POINT(PointKind::acquire, "raw_spin_lock_irq", l)};
}
inline LockRelease raw_spin_unlock_irq(raw_spinlock_t* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_DISABLE, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "raw_spin_unlock_irq", l)};
}
inline LockAcquire raw_spin_lock_irqsave(raw_spinlock_t* l, unsigned long& flags, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_SAVE, &flags, PCIRIG_LOCK_POINT(PointKind::acquire, "raw_spin_lock_irqsave", l)};
}
inline LockRelease raw_spin_unlock_irqrestore(raw_spinlock_t* l, unsigned long& flags, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_SAVE, &flags,
          PCIRIG_LOCK_POINT(PointKind::step, "raw_spin_unlock_irqrestore", l)};
}
inline LockAcquire spin_lock_irqsave(spinlock_t* l, unsigned long& flags, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_SAVE, &flags, PCIRIG_LOCK_POINT(PointKind::acquire, "spin_lock_irqsave", l)};
}
inline LockRelease spin_unlock_irqrestore(spinlock_t* l, unsigned long& flags, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_SAVE, &flags, PCIRIG_LOCK_POINT(PointKind::step, "spin_unlock_irqrestore", l)};
}
inline LockAcquire mutex_lock(struct mutex* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::acquire, "mutex_lock", l)};
}
inline LockTry mutex_trylock(struct mutex* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, PCIRIG_LOCK_POINT(PointKind::step, "mutex_trylock", l)};
}
inline LockRelease mutex_unlock(struct mutex* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "mutex_unlock", l)};
}
inline LockAcquire down_read(rw_semaphore* l, PCIRIG_FN_LINE) {
  return {l, LOCK_SHARED, IRQ_KEEP, nullptr, Point{PointKind::acquire, "down_read", l->name, fn, line, l, LOCK_SHARED}};
}
// down_read_nested(): a lockdep subclass (e.g. the hot-plug port's depth).
inline LockAcquire down_read_nested(rw_semaphore* l, int subclass, PCIRIG_FN_LINE) {
  return {l, LOCK_SHARED, IRQ_KEEP, nullptr,
          Point{PointKind::acquire, "down_read_nested", l->name, fn, line, l, LOCK_SHARED, static_cast<std::uint8_t>(subclass)}};
}
inline LockAcquire down_write_nested(rw_semaphore* l, int subclass, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr,
          Point{PointKind::acquire, "down_write_nested", l->name, fn, line, l, LOCK_EXCLUSIVE, static_cast<std::uint8_t>(subclass)}};
}
inline LockAcquire lock_map_acquire(lockdep_map* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "lock_map_acquire", l)};
}
// lock_map_acquire_read(): a recursive read of the map (lockdep read 2).
inline LockAcquire lock_map_acquire_read(lockdep_map* l, PCIRIG_FN_LINE) {
  return {l, LOCK_SHARED_RECURSIVE, IRQ_KEEP, nullptr,
          Point{PointKind::step, "lock_map_acquire_read", l->name, fn, line, l, LOCK_SHARED_RECURSIVE}};
}
inline LockRelease lock_map_release(lockdep_map* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "lock_map_release", l)};
}
inline LockRelease up_read(rw_semaphore* l, PCIRIG_FN_LINE) {
  return {l, LOCK_SHARED, IRQ_KEEP, nullptr, Point{PointKind::step, "up_read", l->name, fn, line, l, LOCK_SHARED}};
}
inline LockAcquire down_write(rw_semaphore* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::acquire, "down_write", l)};
}
inline LockTry down_write_trylock(rw_semaphore* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, PCIRIG_LOCK_POINT(PointKind::step, "down_write_trylock", l)};
}
inline LockRelease up_write(rw_semaphore* l, PCIRIG_FN_LINE) {
  return {l, LOCK_EXCLUSIVE, IRQ_KEEP, nullptr, PCIRIG_LOCK_POINT(PointKind::step, "up_write", l)};
}

// local_irq_save/restore: interrupts off without a lock (the MSI path).
struct IrqToggle {
  bool disable;
  unsigned long* flags;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume();
};
inline IrqToggle local_irq_save(unsigned long& flags, PCIRIG_FN_LINE) {
  return {true, &flags, Point{PointKind::step, "local_irq_save", nullptr, fn, line}};
}
inline IrqToggle local_irq_restore(unsigned long& flags, PCIRIG_FN_LINE) {
  return {false, &flags, Point{PointKind::step, "local_irq_restore", nullptr, fn, line}};
}

// might_sleep(): CONFIG_DEBUG_ATOMIC_SLEEP's check, at the caller.
void might_sleep(const char* fn = __builtin_FUNCTION());
// lockdep_assert_held()
void lockdep_assert_held(const lock_base* l, const char* fn = __builtin_FUNCTION());

}  // namespace pcirig::model
