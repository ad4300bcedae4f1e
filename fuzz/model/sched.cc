// kernel/sched/core.c, the parts the wait queue relies on.
#include "pcirig/model/sched.h"

#include <cstdio>

#include "model/internal.h"

namespace pcirig::model {

task_struct* current = nullptr;

void SetState::await_resume() const noexcept {
  current->__state = state;  // smp_store_mb(): marked, a full barrier
}

bool Schedule::await_ready() {
  current->m.pending = p;
  // schedule_debug(): sleeping with a spinlock held or interrupts off.
  if (world().oracles.atomic_sleep && (current->m.preempt_count > 0 || current->m.irqs_off > 0)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "BUG: scheduling while atomic: %s/%d/0x%08x", current->comm, current->pid,
                  current->m.preempt_count);
    oops(ReportKind::atomic_sleep, "BUG: scheduling while atomic in " + title_func(current), buf);
  }
  if (current->__state != TASK_RUNNING) current->m.slept_at = world().step;
  return false;
}

void Schedule::await_resume() const noexcept {
  // The waker's clock comes with the wake-up (ttwu's release/acquire pairing).
  vc_join(current->m.vc, current->m.wake_vc);
}

// ttwu_do_wakeup(): p->__state = TASK_RUNNING, after the waker's stores.
static Co<void> ttwu_do_wakeup(task_struct* p)
{
	vc_join(p->m.wake_vc, current->m.vc);
	++current->m.vc[current->m.id];
	co_await WRITE_ONCE(p->__state, TASK_RUNNING);
}

Co<int> try_to_wake_up(task_struct* p, unsigned int state, int wake_flags)
{
	unsigned long flags;
	int success = 0;

	co_await raw_spin_lock_irqsave(&p->pi_lock, flags);
	if (unsigned int match = co_await READ_ONCE(p->__state) & state) {
		success = 1;
		co_await ttwu_do_wakeup(p);
	}
	co_await raw_spin_unlock_irqrestore(&p->pi_lock, flags);
	co_return success;
}

}  // namespace pcirig::model
