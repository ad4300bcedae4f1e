// kernel/sched/wait.c primitives inside the engine: wake-ups, autoremove,
// the 64-entry bookmark, the sleep protocol.
#include <gtest/gtest.h>

#include "pcirig/model/kernel.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"
#include "model/internal.h"

using namespace pcirig::model;

namespace {

RunConfig cfg_v59() {
  RunConfig c;
  c.variant = find_variant("v5.9");
  return c;
}

int g_woken = 0;
Co<int> count_wake(wait_queue_entry* wq_entry, unsigned int mode, int wake_flags, void* key)
{
	++g_woken;
	co_return 1;
}

Co<void> many_waiters_then_wake(int n)
{
	// Entries of this frame: they stay alive across the wake-up.
	std::vector<std::unique_ptr<wait_queue_entry>> entries;
	for (int i = 0; i < n; ++i) {
		entries.push_back(std::make_unique<wait_queue_entry>(current, count_wake, 0, true));
		co_await add_wait_queue(&pci_cfg_wait, entries.back().get());
	}
	co_await wake_up_all(&pci_cfg_wait);
	for (auto& e : entries)
		co_await remove_wait_queue(&pci_cfg_wait, e.get());
}

TEST(WaitQueue, WakeUpAllCallsEveryEntryAcrossTheBookmark) {
  for (int n : {1, 63, 64, 65, 70, 140}) {
    g_woken = 0;
    NonPreemptiveChooser ch;
    RunResult r = run_bodies({[n] { return many_waiters_then_wake(n); }}, 1, ch, cfg_v59());
    ASSERT_FALSE(r.has_report) << r.report.title << "\n" << r.report.body;
    EXPECT_EQ(g_woken, n) << "entries " << n;
    if (n > WAITQUEUE_WALK_BREAK_CNT + 1) {
      // The walk dropped the lock and resumed from the bookmark at least once.
      int relocks = 0;
      for (auto& e : r.trace)
        if (std::string(e.p.fn) == "__wake_up_common_lock" && std::string(e.p.op) == "spin_lock_irqsave") ++relocks;
      EXPECT_GE(relocks, 2) << "entries " << n;
    }
  }
}

// T0 sleeps in wait_event until T1 clears the bit and wakes it.
Co<void> waiter(pci_dev* dev)
{
	co_await wait_event(pci_cfg_wait, !co_await READ_DATA_RACE(dev->block_cfg_access));
	// finish_wait() unlinked the entry: the queue is empty again.
	if (!list_empty(&pci_cfg_wait.head))
		WARN_ON(1);
}

Co<void> unblocker(pci_dev* dev)
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	co_await WRITE(dev->block_cfg_access, 0);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
	co_await wake_up_all(&pci_cfg_wait);
}

TEST(WaitQueue, WaitEventNeverLosesTheWakeUp) {
  int slept = 0;
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    RandomChooser ch(seed);
    RunResult r = run_bodies(
        {[] {
           pci_dev_by_id(0)->bitfield_word = 1;  // blocked before the run starts
           return waiter(pci_dev_by_id(0));
         },
         [] { return unblocker(pci_dev_by_id(0)); }},
        1, ch, cfg_v59());
    ASSERT_FALSE(r.has_report) << "seed " << seed << ": " << r.report.title << "\n" << r.report.body;
    for (auto& e : r.trace)
      if (std::string(e.p.op) == "schedule") ++slept;
  }
  EXPECT_GT(slept, 0) << "no schedule ever slept: the test would prove nothing";
}

Co<void> default_waiter_linked()
{
	DECLARE_WAITQUEUE(wait, current);

	co_await add_wait_queue(&pci_cfg_wait, &wait);
	co_await set_current_state(TASK_UNINTERRUPTIBLE);
	co_await schedule();
	// default_wake_function woke us and left the entry linked.
	WARN_ON(list_empty(&pci_cfg_wait.head));
	co_await remove_wait_queue(&pci_cfg_wait, &wait);
	WARN_ON(!list_empty(&pci_cfg_wait.head));
}

Co<void> waker_when_queued()
{
	// Spin (one scheduling point a try) until the waiter is queued.
	for (;;) {
		co_await sched_point("poll", "pci_cfg_wait");
		if (!list_empty(&pci_cfg_wait.head))
			break;
	}
	co_await wake_up_all(&pci_cfg_wait);
}

TEST(WaitQueue, DefaultWakeFunctionLeavesTheEntryLinked) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return default_waiter_linked(); }, [] { return waker_when_queued(); }}, 1, ch,
                           cfg_v59());
  EXPECT_FALSE(r.has_report) << r.report.title << "\n" << r.report.body;
  EXPECT_GT(r.steps, 10u);
}

}  // namespace
