// Lock acquire/release bookkeeping: ownership, held locks, preempt count,
// interrupt state, happens-before clocks; might_sleep().
#include <algorithm>
#include <cstdio>

#include "pcirig/model/locks.h"
#include "pcirig/model/sched.h"
#include "model/internal.h"
#include "model/lockdep.h"

namespace pcirig::model {

void lock_base::init(const char* n, const char* cls_name, bool sleeps) {
  name = n;
  cls = cls_name ? lockdep_class(cls_name) : nullptr;
  sleeping = sleeps;
  vc = VClock{};
}

void rw_semaphore::take(task_struct* t, int mode) {
  if (mode == LOCK_SHARED) {
    ++readers[t->m.id];
    ++nreaders;
  } else {
    writer = t;
  }
}
void rw_semaphore::give(task_struct* t, int mode) {
  if (mode == LOCK_SHARED) {
    if (readers[t->m.id] > 0) {
      --readers[t->m.id];
      --nreaders;
    }
  } else {
    writer = nullptr;
  }
}
bool rw_semaphore::held_by(const task_struct* t) const { return writer == t || readers[t->m.id] > 0; }
const task_struct* rw_semaphore::a_holder() const {
  if (writer) return writer;
  for (int i = 0; i < MAX_TASKS; ++i)
    if (readers[i] > 0) return task_by_id(i);
  return nullptr;
}
const task_struct* rw_semaphore::blocker(const task_struct* t, int mode) const {
  if (writer || mode != LOCK_SHARED || (nreaders > 0 && nwaiting_writers == 0)) return a_holder();
  for (int i = 0; i < MAX_TASKS; ++i)
    if (waiting_writers[i] && i != t->m.id) return task_by_id(i);
  return a_holder();
}
void rw_semaphore::queue(task_struct* t, int mode) {
  if (mode == LOCK_EXCLUSIVE && !waiting_writers[t->m.id]) {
    waiting_writers[t->m.id] = true;
    ++nwaiting_writers;
  }
}
void rw_semaphore::dequeue(task_struct* t, int mode) {
  if (mode == LOCK_EXCLUSIVE && waiting_writers[t->m.id]) {
    waiting_writers[t->m.id] = false;
    --nwaiting_writers;
  }
}

void lockdep_map::take(task_struct* t, int) { ++depth[t->m.id]; }
void lockdep_map::give(task_struct* t, int) {
  if (depth[t->m.id] > 0) --depth[t->m.id];
}
bool lockdep_map::held_by(const task_struct* t) const { return depth[t->m.id] > 0; }

static bool in_atomic(const task_struct* t) { return t->m.preempt_count > 0 || t->m.irqs_off > 0; }

void might_sleep(const char* fn) {
  if (!world().oracles.atomic_sleep || !in_atomic(current)) return;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "BUG: sleeping function called from invalid context at drivers/pci/access.c (%s)\n"
                "in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n"
                "preempt_count: %d",
                fn, current->m.preempt_count > 0, current->m.irqs_off > 0, current->pid, current->comm,
                current->m.preempt_count);
  std::string body = buf;
  body += "\nheld locks:";
  for (auto& h : current->m.held) body += std::string(" ") + h.lock->name + " (taken in " + h.fn + ")";
  oops(ReportKind::atomic_sleep, "BUG: sleeping function called from invalid context in " + title_func(current), body);
}

void lockdep_assert_held(const lock_base* l, const char* fn) {
  if (!world().oracles.lockdep || l->held_by(current)) return;
  oops(ReportKind::warn, "WARNING in " + title_func(current),
       std::string("WARNING: lockdep_assert_held(") + l->name + ") failed in " + fn);
}

void lock_acquire_prepare(lock_base* l, int mode, bool trylock, const Point& p, int irq) {
  current->m.pending = p;  // a report here shows what the task was attempting
  if (l->sleeping && !trylock) might_sleep(p.fn);
  lockdep_check_acquire(l, mode, trylock, current->m.irqs_off > 0 || irq != IRQ_KEEP, p);
  feature_lock_order(l, mode, trylock);
  if (!trylock) l->queue(current, mode);
}

void lock_acquired(lock_base* l, int mode, int irq, unsigned long* flags, bool trylock) {
  task_struct* t = current;
  if (!trylock) l->dequeue(t, mode);
  l->take(t, mode);
  std::size_t depth = t->m.stack.size();
  const char* caller = depth >= 2 ? t->m.stack[depth - 2] : "";
  t->m.held.push_back(held_lock{l, mode, trylock, t->m.pending.fn, t->m.pending.subclass, caller});
  if (!l->sleeping && !l->is_map) ++t->m.preempt_count;
  if (irq == IRQ_DISABLE) {
    t->m.irqs_off = 1;
  } else if (irq == IRQ_SAVE) {
    *flags = static_cast<unsigned long>(t->m.irqs_off);
    t->m.irqs_off = 1;
  }
  vc_join(t->m.vc, l->vc);
}

void lock_released(lock_base* l, int mode, int irq, unsigned long* flags, const Point& p) {
  task_struct* t = current;
  auto it = std::find_if(t->m.held.rbegin(), t->m.held.rend(), [&](const held_lock& h) { return h.lock == l; });
  if (it == t->m.held.rend() || !l->held_by(t)) {
    oops(ReportKind::bad_unlock, "WARNING: bad unlock balance in " + title_func(t),
         std::string("WARNING: bad unlock balance detected!\n") + task_tag(t) + " is trying to release lock (" +
             l->name + ") at: " + p.fn + "\nbut there are no more locks to release!\nCall Trace:\n " +
             stack_string(t));
  }
  t->m.held.erase(std::next(it).base());
  l->give(t, mode);
  if (!l->sleeping && !l->is_map) --t->m.preempt_count;
  if (irq == IRQ_DISABLE)
    t->m.irqs_off = 0;
  else if (irq == IRQ_SAVE)
    t->m.irqs_off = static_cast<int>(*flags);
  vc_join(l->vc, t->m.vc);
  ++t->m.vc[t->m.id];
}

void IrqToggle::await_resume() {
  if (disable) {
    *flags = static_cast<unsigned long>(current->m.irqs_off);
    current->m.irqs_off = 1;
  } else {
    current->m.irqs_off = static_cast<int>(*flags);
  }
}

}  // namespace pcirig::model
