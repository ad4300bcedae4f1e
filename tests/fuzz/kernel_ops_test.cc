// Variants as patches (base era + the functions that differ), and the lock
// semantics the topology eras rely on: the writer-fair rwsem, lockdep
// subclasses, lockdep maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "pcirig/model/findings.h"
#include "pcirig/model/kernel.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

using namespace pcirig::model;

namespace {

RunConfig cfg(const char* v = "mainline") {
  RunConfig c;
  c.variant = find_variant(v);
  return c;
}

bool owns(const Variant& v, const char* fn) {
  auto own = own_functions(v);
  return std::any_of(own.begin(), own.end(), [&](const char* x) { return std::strcmp(x, fn) == 0; });
}

TEST(Variant, OverridesOnlyWhatDiffersAndInheritsTheRest) {
  const Variant* v4 = find_variant("v4.10");
  const Variant* v2 = find_variant("v2.6.20");
  const Variant* v59 = find_variant("v5.9");
  const Variant* ml = find_variant("mainline");
  ASSERT_TRUE(v4 && v2 && v59 && ml);
  // v2.6.20 states only its unlock; its wait comes from v4.10, its pci.c from v5.9.
  EXPECT_EQ(own_functions(*v2).size(), 1u);
  EXPECT_TRUE(owns(*v2, "pci_cfg_access_unlock"));
  EXPECT_EQ(v2->ops.pci_wait_cfg, v4->ops.pci_wait_cfg);
  EXPECT_NE(v2->ops.pci_cfg_access_unlock, v4->ops.pci_cfg_access_unlock);
  EXPECT_EQ(v2->ops.pci_dev_lock, v59->ops.pci_dev_lock);
  EXPECT_NE(v59->ops.pci_dev_lock, ml->ops.pci_dev_lock);
  EXPECT_EQ(v59->ops.pciehp_ist, ml->ops.pciehp_ist);
  // No variant but mainline restates everything: each replaces under a
  // third of the modelled functions.
  const std::size_t all = own_functions(*ml).size();
  EXPECT_EQ(all, sizeof(kernel_ops) / sizeof(kernel_ops{}.pci_dev_lock));
  for (auto* v : all_variants())
    if (std::string(v->name) != "mainline") {
      EXPECT_LT(own_functions(*v).size() * 3, all) << v->name;
    }
}

TEST(Variant, EveryBaseExists) {
  for (auto* v : all_variants()) {
    if (!v->base) {
      EXPECT_STREQ(v->name, "mainline");
      continue;
    }
    EXPECT_TRUE(find_variant(v->base)) << v->name << " -> " << v->base;
  }
}

// A call from a shared caller reaches the override: the access.c era's
// pci_dev_lock blocks config access before device_lock, mainline after.
TEST(Variant, SharedCallersRunTheVariantsFunction) {
  NonPreemptiveChooser ch;
  RunResult a = run_scenario(parse_scenario("reset:0;config_read:0"), ch, cfg("v5.9"));
  RunResult b = run_scenario(parse_scenario("reset:0;config_read:0"), ch, cfg("mainline"));
  auto first_lock = [](const RunResult& r) -> std::string {
    for (auto& e : r.trace)
      if (std::strcmp(e.p.fn, "pci_dev_lock") == 0 || std::strcmp(e.p.fn, "pci_cfg_access_lock") == 0)
        return e.p.fn;
    return "";
  };
  EXPECT_EQ(first_lock(a), "pci_cfg_access_lock");
  EXPECT_EQ(first_lock(b), "pci_dev_lock");  // device_lock, taken in pci_dev_lock itself
}

// ---- rwsem: a queued writer blocks new readers ----
rw_semaphore g_sem;

Co<void> reader_twice()
{
	co_await down_read(&g_sem);
	co_await sched_point("between", "g_sem");
	co_await down_read(&g_sem);
	co_await up_read(&g_sem);
	co_await up_read(&g_sem);
}
Co<void> writer()
{
	co_await down_write(&g_sem);
	co_await up_write(&g_sem);
}

TEST(Rwsem, QueuedWriterBlocksANewReaderIntoADeadlock) {
  RunConfig c = cfg();
  c.oracles.lockdep = false;  // lockdep would call the second down_read recursive first
  bool deadlock = false, clean = false;
  for (std::uint64_t seed = 0; seed < 200 && !(deadlock && clean); ++seed) {
    RandomChooser ch(seed);
    RunResult r = run_bodies({[] {
                                g_sem = rw_semaphore{};
                                g_sem.init("g_sem", "g_sem", true);
                                return reader_twice();
                              },
                              [] { return writer(); }},
                             1, ch, c);
    if (r.has_report) {
      EXPECT_EQ(r.report.kind, ReportKind::deadlock) << r.report.title;
      EXPECT_NE(r.report.body.find("g_sem (read)"), std::string::npos) << r.report.body;
      deadlock = true;
    } else {
      clean = true;  // the writer came first or after both reads
    }
  }
  EXPECT_TRUE(deadlock);
  EXPECT_TRUE(clean);
}

// ---- lockdep subclasses: down_read_nested is not recursion ----
Co<void> nested_reads()
{
	co_await down_read(&g_sem);
	co_await down_read_nested(&g_sem, 1);
	co_await up_read(&g_sem);
	co_await up_read(&g_sem);
}
Co<void> same_subclass_twice()
{
	co_await down_read(&g_sem);
	co_await down_read(&g_sem);
}

TEST(Lockdep, SubclassesNestButTheSameSubclassIsRecursion) {
  NonPreemptiveChooser ch;
  auto init = [] {
    g_sem = rw_semaphore{};
    g_sem.init("g_sem", "g_sem", true);
  };
  RunResult ok = run_bodies({[&] { init(); return nested_reads(); }}, 1, ch, cfg());
  EXPECT_FALSE(ok.has_report) << ok.report.title;
  RunResult bad = run_bodies({[&] { init(); return same_subclass_twice(); }}, 1, ch, cfg());
  ASSERT_TRUE(bad.has_report);
  EXPECT_NE(bad.report.body.find("possible recursive locking"), std::string::npos) << bad.report.body;
}

// ---- lockdep: typed dependencies and strong cycles (lockdep-design.rst) ----
rw_semaphore g_a, g_b;
lockdep_map g_m1, g_m2;

void init_ab() {
  g_a = rw_semaphore{};
  g_a.init("g_a", "g_a", true);
  g_b = rw_semaphore{};
  g_b.init("g_b", "g_b", true);
}
void init_maps() {
  g_m1 = lockdep_map{};
  g_m1.init("g_m1", "g_m1", false);
  g_m1.is_map = true;
  g_m2 = lockdep_map{};
  g_m2.init("g_m2", "g_m2", false);
  g_m2.is_map = true;
}

Co<void> read_a_read_b()
{
	co_await down_read(&g_a);
	co_await down_read(&g_b);
	co_await up_read(&g_b);
	co_await up_read(&g_a);
}
Co<void> read_b_read_a()
{
	co_await down_read(&g_b);
	co_await down_read(&g_a);
	co_await up_read(&g_a);
	co_await up_read(&g_b);
}
Co<void> read_a_write_b()
{
	co_await down_read(&g_a);
	co_await down_write(&g_b);
	co_await up_write(&g_b);
	co_await up_read(&g_a);
}
Co<void> write_b_write_a()
{
	co_await down_write(&g_b);
	co_await down_write(&g_a);
	co_await up_write(&g_a);
	co_await up_write(&g_b);
}
Co<void> write_a() { co_await down_write(&g_a); co_await up_write(&g_a); }
Co<void> write_b() { co_await down_write(&g_b); co_await up_write(&g_b); }

// down_read() is a non-recursive reader: A -(SN)-> B -(SN)-> A is a strong
// cycle, reported though both sides only read, because a queued writer
// blocks a new reader (lockdep-design.rst: "non-recursive readers could get
// blocked by write lock *waiters*").
TEST(Lockdep, ReadReadCycleOfRwsemReadersIsReported) {
  NonPreemptiveChooser ch;  // one after the other: no hang in this schedule
  RunResult r = run_bodies({[] { init_ab(); return read_a_read_b(); }, [] { return read_b_read_a(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.kind, ReportKind::lock_inversion);
  EXPECT_EQ(r.report.title, "possible deadlock in read_b_read_a");
  EXPECT_NE(r.report.body.find("WARNING: possible circular locking dependency detected"), std::string::npos);
  // Only ever read, with interrupts on: lockdep's usage bits {.+.+}.
  EXPECT_NE(r.report.body.find("(g_a){.+.+}, at: read_b_read_a"), std::string::npos) << r.report.body;
  EXPECT_NE(r.report.body.find("-(SN)-> taken while holding g_a (read)"), std::string::npos) << r.report.body;
  EXPECT_NE(r.report.body.find("new dependency: g_b -(SN)-> g_a"), std::string::npos) << r.report.body;
}

// ... and the writers make it a real deadlock: each reader waits behind a
// writer queued on the lock the other reader holds.
TEST(Lockdep, ReadReadCycleDeadlocksBehindQueuedWriters) {
  RunConfig c = cfg();
  c.oracles.lockdep = false;
  bool deadlock = false;
  for (std::uint64_t seed = 0; seed < 5000 && !deadlock; ++seed) {
    RandomChooser ch(seed);
    RunResult r = run_bodies({[] { init_ab(); return read_a_read_b(); }, [] { return read_b_read_a(); },
                              [] { return write_a(); }, [] { return write_b(); }},
                             1, ch, c);
    if (!r.has_report) continue;
    EXPECT_EQ(r.report.kind, ReportKind::deadlock) << r.report.title;
    deadlock = true;
  }
  EXPECT_TRUE(deadlock);
}

// AB-BA with one side reading: A -(SN)-> B, B -(EN)-> A.
TEST(Lockdep, ReadThenWriteAbBaIsReported) {
  NonPreemptiveChooser ch;
  RunResult r =
      run_bodies({[] { init_ab(); return read_a_write_b(); }, [] { return write_b_write_a(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.kind, ReportKind::lock_inversion);
  EXPECT_NE(r.report.body.find("(g_a){++++}, at: write_b_write_a"), std::string::npos) << r.report.body;
  EXPECT_NE(r.report.body.find("new dependency: g_b -(EN)-> g_a"), std::string::npos) << r.report.body;
}

Co<void> maps_read_m1_read_m2()
{
	co_await lock_map_acquire_read(&g_m1);
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_release(&g_m2);
	co_await lock_map_release(&g_m1);
}
Co<void> maps_read_m2_read_m1()
{
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_acquire_read(&g_m1);
	co_await lock_map_release(&g_m1);
	co_await lock_map_release(&g_m2);
}
Co<void> maps_m1_then_read_m2()
{
	co_await lock_map_acquire(&g_m1);
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_release(&g_m2);
	co_await lock_map_release(&g_m1);
}
Co<void> maps_read_m2_then_m1()
{
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_acquire(&g_m1);
	co_await lock_map_release(&g_m1);
	co_await lock_map_release(&g_m2);
}
Co<void> maps_read_m1_then_read_m2_twice()
{
	co_await lock_map_acquire_read(&g_m1);
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_acquire_read(&g_m2);  /* recursive read after read: no recursion report */
	co_await lock_map_release(&g_m2);
	co_await lock_map_release(&g_m2);
	co_await lock_map_release(&g_m1);
}
Co<void> maps_m2_then_m1()
{
	co_await lock_map_acquire(&g_m2);
	co_await lock_map_acquire(&g_m1);
	co_await lock_map_release(&g_m1);
	co_await lock_map_release(&g_m2);
}

lockdep_map g_m3;
Co<void> maps_read_m2_then_m3()
{
	co_await lock_map_acquire_read(&g_m2);
	co_await lock_map_acquire(&g_m3);
	co_await lock_map_release(&g_m3);
	co_await lock_map_release(&g_m2);
}
Co<void> maps_m3_then_m1()
{
	co_await lock_map_acquire(&g_m3);
	co_await lock_map_acquire(&g_m1);
	co_await lock_map_release(&g_m1);
	co_await lock_map_release(&g_m3);
}

// Recursive readers (lock_map_acquire_read) are blocked only by a writer
// holding the lock: M1 -(SR)-> M2 -(SR)-> M1 is no strong cycle, and
// neither is M1 -(ER)-> M2 -(SN)-> M1 (-(xR)-> then -(Sx)->), nor, inside a
// longer path, M1 -(ER)-> M2 -(SN)-> M3 -(EN)-> M1.
TEST(Lockdep, CyclesThroughRecursiveReadersThenSharedHoldersAreNotReported) {
  NonPreemptiveChooser ch;
  RunResult rr =
      run_bodies({[] { init_maps(); return maps_read_m1_read_m2(); }, [] { return maps_read_m2_read_m1(); }}, 1, ch, cfg());
  EXPECT_FALSE(rr.has_report) << rr.report.title << "\n" << rr.report.body;
  RunResult er =
      run_bodies({[] { init_maps(); return maps_m1_then_read_m2(); }, [] { return maps_read_m2_then_m1(); }}, 1, ch, cfg());
  EXPECT_FALSE(er.has_report) << er.report.title << "\n" << er.report.body;
  RunResult three = run_bodies({[] {
                                  init_maps();
                                  g_m3 = lockdep_map{};
                                  g_m3.init("g_m3", "g_m3", false);
                                  g_m3.is_map = true;
                                  return maps_m1_then_read_m2();
                                },
                                [] { return maps_read_m2_then_m3(); }, [] { return maps_m3_then_m1(); }},
                               1, ch, cfg());
  EXPECT_FALSE(three.has_report) << three.report.title << "\n" << three.report.body;
}

// M1 -(SR)-> M2 -(EN)-> M1: after the recursive read comes an exclusive
// holder, so the cycle is strong (M2's writer waits for M1's reader).
TEST(Lockdep, RecursiveReadThenExclusiveHolderIsReported) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies(
      {[] { init_maps(); return maps_read_m1_then_read_m2_twice(); }, [] { return maps_m2_then_m1(); }}, 1, ch, cfg());
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.kind, ReportKind::lock_inversion) << r.report.body;
  EXPECT_NE(r.report.body.find("-(SR)-> taken while holding g_m1 (read)"), std::string::npos) << r.report.body;
  EXPECT_NE(r.report.body.find("new dependency: g_m2 -(EN)-> g_m1"), std::string::npos) << r.report.body;
}

// Trylocks add no edge into the tried lock, whatever the mode.
Co<void> read_a_trywrite_b()
{
	co_await down_read(&g_a);
	if (int got = co_await down_write_trylock(&g_b); got)
		co_await up_write(&g_b);
	co_await up_read(&g_a);
}
TEST(Lockdep, TrylockAddsNoEdge) {
  NonPreemptiveChooser ch;
  RunResult r =
      run_bodies({[] { init_ab(); return read_a_trywrite_b(); }, [] { return write_b_write_a(); }}, 1, ch, cfg());
  EXPECT_FALSE(r.has_report) << r.report.title << "\n" << r.report.body;
}

// ---- lockdep maps ----
lockdep_map g_map;

Co<void> release_unheld_map()
{
	co_await lock_map_release(&g_map);
}

TEST(Lockdep, ReleasingAMapNotHeldIsABadUnlockBalance) {
  NonPreemptiveChooser ch;
  RunResult r = run_bodies({[] {
                             g_map = lockdep_map{};
                             g_map.init("g_map", "g_map", false);
                             g_map.is_map = true;
                             return release_unheld_map();
                           }},
                           1, ch, cfg());
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.kind, ReportKind::bad_unlock);
  EXPECT_EQ(r.report.title, "WARNING: bad unlock balance in release_unheld_map");
}

}  // namespace

// ---- SR-IOV: sriov_numvfs on ep1 (drivers/pci/iov.c, vfio-pci's sriov_configure) ----
namespace {

bool ran(const RunResult& r, const char* fn) {
  return std::any_of(r.trace.begin(), r.trace.end(), [&](const TraceEntry& e) { return std::strcmp(e.p.fn, fn) == 0; });
}

TEST(Sriov, EnableThenDisableAddsAndRemovesTheVf) {
  NonPreemptiveChooser ch;
  RunResult r = run_scenario(parse_scenario("sriov_numvfs:ep1,sriov_numvfs:ep1;config_read:ep1"), ch, cfg());
  EXPECT_FALSE(r.has_report) << r.report.title << "\n" << r.report.body;
  EXPECT_TRUE(ran(r, "pci_iov_add_virtfn"));
  EXPECT_TRUE(ran(r, "device_attach"));  // the VF's driver binds
  EXPECT_TRUE(ran(r, "pci_get_virtfn"));  // pci_iov_remove_virtfn looks the VF up
  EXPECT_TRUE(ran(r, "pci_remove_bus_device"));  // the VF is unlinked again
}

// Mainline with SR-IOV beside resets, MSI, unbind and removal of the PF:
// a few thousand random and PCT schedules, nothing but the known findings.
TEST(Sriov, CleanOnMainlineUnderRandomAndPct) {
  RunConfig c = cfg();
  c.skip_known = true;
  c.keep_trace = false;
  for (const char* text : {"sriov_numvfs:ep1,sriov_numvfs:ep1;reset:ep1;vfio_set_irqs:ep1",
                           "sriov_numvfs:ep1;remove:ep1;config_read:ep1",
                           "sriov_numvfs:ep1,sriov_numvfs:ep1;unbind:ep1;rescan:dev0"}) {
    Scenario sc = parse_scenario(text);
    NonPreemptiveChooser np;
    const std::uint64_t k = run_scenario(sc, np, c).steps;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
      RandomChooser rnd(seed);
      RunResult r = run_scenario(sc, rnd, c);
      ASSERT_FALSE(r.has_report && !known_finding(r.report)) << text << " random seed " << seed << ": " << r.report.title;
      PctChooser pct(seed, 5, static_cast<int>(sc.tasks.size()), k);
      RunResult p = run_scenario(sc, pct, c);
      ASSERT_FALSE(p.has_report && !known_finding(p.report)) << text << " pct seed " << seed << ": " << p.report.title;
    }
  }
}

// 05703271c3cd .. 2fa119c0e5e5: removing the PF with its VFs enabled takes
// pci_rescan_remove_lock twice; mainline's same schedule is clean.
TEST(Sriov, TheRescanLockEraDeadlocksWhenThePfIsRemoved) {
  NonPreemptiveChooser ch;
  Scenario sc = parse_scenario("sriov_numvfs:ep1;remove:ep1");
  RunResult era = run_scenario(sc, ch, cfg("sriov-rescan-lock"));
  ASSERT_TRUE(era.has_report);
  EXPECT_EQ(era.report.kind, ReportKind::deadlock);
  EXPECT_EQ(era.report.title, "possible deadlock in sriov_del_vfs");
  EXPECT_NE(era.report.body.find("possible recursive locking detected"), std::string::npos) << era.report.body;
  EXPECT_NE(era.report.body.find("(pci_rescan_remove_lock){+.+.}, at: remove_store"), std::string::npos)
      << era.report.body;
  RunResult ml = run_scenario(sc, ch, cfg());
  EXPECT_FALSE(ml.has_report) << ml.report.title;
}

}  // namespace
