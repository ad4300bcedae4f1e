// Every oracle can fire: one crafted case each, checked for kind and title.
#include <gtest/gtest.h>

#include "pcirig/model/kernel.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"
#include "model/internal.h"

using namespace pcirig::model;

namespace {

RunConfig cfg(const char* v = "v5.9") {
  RunConfig c;
  c.variant = find_variant(v);
  return c;
}

std::string dump(const RunResult& r) {
  return format_timeline(r) + "\n" + format_report(r);
}

// ---- use after return: an entry left queued by a frame that returned ----
Co<void> leave_entry_queued()
{
	DECLARE_WAITQUEUE(wait, current);

	co_await __add_wait_queue(&pci_cfg_wait, &wait);
	/* returns without __remove_wait_queue: the entry dies linked */
}
Co<void> wake_everybody()
{
	co_await wake_up_all(&pci_cfg_wait);
}

TEST(Oracle, UseAfterReturnInTheWakeWalk) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return leave_entry_queued(); }, [] { return wake_everybody(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::use_after_return);
  EXPECT_EQ(r.report.title, "KASAN: stack-use-after-return Read in __wake_up_common");
  EXPECT_NE(r.report.body.find("frame: leave_entry_queued"), std::string::npos) << r.report.body;
}

// ---- a walk meeting a poisoned entry ----
Co<void> stale_head_then_wake()
{
	wait_queue_entry a(current, default_wake_function, 0, true);

	co_await __add_wait_queue(&pci_cfg_wait, &a);
	co_await __remove_wait_queue(&pci_cfg_wait, &a);  // a.entry is poisoned now
	pci_cfg_wait.head.next = &a.entry;                 // ... and the head still points at it
	co_await wake_up_all(&pci_cfg_wait);
}

TEST(Oracle, WalkMeetsPoisonedEntry) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return stale_head_then_wake(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::list_corruption);
  EXPECT_EQ(r.report.title, "general protection fault in __wake_up_common");
}

// ---- CONFIG_DEBUG_LIST: deleting twice ----
Co<void> remove_twice()
{
	wait_queue_entry a(current, default_wake_function, 0, true);

	co_await __add_wait_queue(&pci_cfg_wait, &a);
	co_await __remove_wait_queue(&pci_cfg_wait, &a);
	co_await __remove_wait_queue(&pci_cfg_wait, &a);
}

TEST(Oracle, DebugListDoubleDelete) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return remove_twice(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::list_corruption);
  EXPECT_EQ(r.report.title, "BUG: corrupted list in __remove_wait_queue");
  EXPECT_NE(r.report.body.find("is LIST_POISON1"), std::string::npos);
}

// ---- hung task: an uninterruptible sleeper nobody wakes ----
Co<void> sleep_forever()
{
	co_await set_current_state(TASK_UNINTERRUPTIBLE);
	co_await schedule();
}

TEST(Oracle, HungTaskLostWakeUp) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return sleep_forever(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::hung_task);
  EXPECT_EQ(r.report.title, "INFO: task hung in sleep_forever");
}

// ---- deadlock: ABBA on two device mutexes (novalidate: lockdep is blind) ----
Co<void> lock_ab(int a, int b)
{
	co_await device_lock(&pci_dev_by_id(a)->dev);
	co_await device_lock(&pci_dev_by_id(b)->dev);
	co_await device_unlock(&pci_dev_by_id(b)->dev);
	co_await device_unlock(&pci_dev_by_id(a)->dev);
}

TEST(Oracle, DeadlockCycle) {
  RoundRobinChooser ch;
  RunResult r = run_bodies({[] { return lock_ab(0, 1); }, [] { return lock_ab(1, 0); }}, 2, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::deadlock);
  EXPECT_EQ(r.report.title, "INFO: task hung in lock_ab");
}

// ---- lockdep: ABBA that never hung in this schedule ----
Co<void> pci_then_pi()
{
	unsigned long f1, f2;

	co_await raw_spin_lock_irqsave(&pci_lock, f1);
	co_await raw_spin_lock_irqsave(&current->pi_lock, f2);
	co_await raw_spin_unlock_irqrestore(&current->pi_lock, f2);
	co_await raw_spin_unlock_irqrestore(&pci_lock, f1);
}
Co<void> pi_then_pci()
{
	unsigned long f1, f2;

	co_await raw_spin_lock_irqsave(&current->pi_lock, f1);
	co_await raw_spin_lock_irqsave(&pci_lock, f2);
	co_await raw_spin_unlock_irqrestore(&pci_lock, f2);
	co_await raw_spin_unlock_irqrestore(&current->pi_lock, f1);
}

TEST(Oracle, LockdepInversionWithoutHang) {
  NonPreemptiveChooser ch;  // T0 runs to completion first: no actual deadlock
  RunResult r = run_bodies({[] { return pci_then_pi(); }, [] { return pi_then_pci(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::lock_inversion);
  EXPECT_EQ(r.report.title, "possible deadlock in pi_then_pci");
  EXPECT_NE(r.report.body.find("possible circular locking dependency detected"), std::string::npos);
  RunConfig off = cfg();
  off.oracles.lockdep = false;
  RunResult r2 = run_bodies({[] { return pci_then_pi(); }, [] { return pi_then_pci(); }}, 1, ch, off);
  EXPECT_FALSE(r2.has_report) << dump(r2);
}

// ---- sleeping in atomic context ----
Co<void> mutex_under_spinlock()
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	co_await device_lock(&pci_dev_by_id(0)->dev);
}

TEST(Oracle, SleepingInAtomicContext) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return mutex_under_spinlock(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::atomic_sleep);
  EXPECT_EQ(r.report.title, "BUG: sleeping function called from invalid context in mutex_under_spinlock");
}

// ---- WARN_ON: unlocking a device nobody blocked ----
TEST(Oracle, WarnOnUnbalancedCfgUnlock) {
  for (const char* v : {"v2.6.20", "v4.10", "v5.9", "xiang-v1", "rwsem"}) {
    NonPreemptiveChooser ch;
    Scenario s = parse_scenario("cfg_unlock:0");
    RunResult r = run_scenario(s, ch, cfg(v));
    ASSERT_TRUE(r.has_report) << v;
    EXPECT_EQ(r.report.kind, ReportKind::warn) << v;
    EXPECT_EQ(r.report.title, "WARNING in pci_cfg_access_unlock") << v;
  }
}

// ---- KCSAN: an unsynchronized read of a word another task writes ----
Co<void> plain_writer()
{
	co_await WRITE(pci_dev_by_id(0)->msi_enabled, 1);
}
Co<void> plain_reader()
{
	bool on = co_await READ(pci_dev_by_id(0)->msi_enabled);
}

TEST(Oracle, DataRaceOnSharedBitfieldWord) {
  RunConfig c = cfg();
  c.oracles.kcsan = true;
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return plain_writer(); }, [] { return plain_reader(); }}, 1, ch, c);
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::data_race);
  EXPECT_EQ(r.report.title, "KCSAN: data-race in plain_writer / plain_reader");
  // Ordered by a lock: no race.
  c.oracles.kcsan = true;
  RunResult off = run_bodies({[] { return plain_writer(); }, [] { return plain_reader(); }}, 1, ch, cfg());
  EXPECT_FALSE(off.has_report);
}

Co<void> locked_writer()
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	co_await WRITE(pci_dev_by_id(0)->msi_enabled, 1);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
}
Co<void> locked_reader()
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	bool on = co_await READ(pci_dev_by_id(0)->msi_enabled);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
}

TEST(Oracle, NoDataRaceWhenOrderedByALock) {
  RunConfig c = cfg();
  c.oracles.kcsan = true;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    RandomChooser ch(seed);
    RunResult r = run_bodies({[] { return locked_writer(); }, [] { return locked_reader(); }}, 1, ch, c);
    EXPECT_FALSE(r.has_report) << dump(r);
  }
}

// ---- protocol: a user access while another task holds the block ----
Co<void> block_dev0()
{
	co_await pci_cfg_access_lock(pci_dev_by_id(0));
}
Co<void> user_read_ignoring_block()
{
	u32 v;

	current->m.user_access = true;
	co_await pci_ops_read(pci_dev_by_id(0), PCI_VENDOR_ID, &v);  // no pci_lock, no wait: the bug
}

TEST(Oracle, ProtocolUserAccessWhileBlocked) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return block_dev0(); }, [] { return user_read_ignoring_block(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::protocol);
  EXPECT_EQ(r.report.title, "BUG: config access while blocked in user_read_ignoring_block");
}

// ---- bad unlock balance ----
Co<void> unlock_unheld()
{
	co_await raw_spin_unlock_irq(&pci_lock);
}

TEST(Oracle, BadUnlockBalance) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] { return unlock_unheld(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report) << dump(r);
  EXPECT_EQ(r.report.kind, ReportKind::bad_unlock);
  EXPECT_EQ(r.report.title, "WARNING: bad unlock balance in unlock_unheld");
}

}  // namespace
