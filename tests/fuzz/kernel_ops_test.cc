// Variants as patches (base era + the functions that differ), and the lock
// semantics the topology eras rely on: the writer-fair rwsem, lockdep
// subclasses, lockdep maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

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
