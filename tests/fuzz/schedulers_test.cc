// Schedulers: DFS bound results, random/PCT find the bugs, determinism of
// seeds, and replay of what they found.
#include <gtest/gtest.h>

#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

using namespace pcirig::model;

namespace {

bool access_c_era(const std::string& v) {
  for (const char* x : {"v2.6.20", "v4.10", "xiang-v1", "rwsem", "v5.9", "mainline"})
    if (v == x) return true;
  return false;
}

RunConfig cfg(const char* v) {
  RunConfig c;
  c.variant = find_variant(v);
  return c;
}

const char* k3 = "reset:0,reset:0;config_read:0;config_read:0,perf_read:0:1";

TEST(Dfs, FixIsCleanWithThreeTasksBoundTwo) {
  DfsResult d = dfs_explore(parse_scenario(k3), cfg("v5.9"), 2, 5000000);
  EXPECT_TRUE(d.complete);
  EXPECT_FALSE(d.found) << d.first.report.title;
  EXPECT_GT(d.schedules, 1000u);  // a real exploration, not one schedule
  std::printf("v5.9 dfs bound 2: %llu schedules\n", static_cast<unsigned long long>(d.schedules));
}

TEST(Dfs, FindsTheWakeWalkRaceOnV410) {
  DfsResult d = dfs_explore(parse_scenario(k3), cfg("v4.10"), 2, 5000000);
  ASSERT_TRUE(d.found);
  EXPECT_EQ(d.first.report.kind, ReportKind::use_after_return);
  // What DFS saved replays to the same report.
  RunResult r = run_bytes(d.input, cfg("v4.10"));
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.title, d.first.report.title);
}

TEST(Dfs, BoundZeroExploresOnlyNonPreemptiveSchedules) {
  DfsResult d0 = dfs_explore(parse_scenario(k3), cfg("v5.9"), 0, 1000000);
  DfsResult d1 = dfs_explore(parse_scenario(k3), cfg("v5.9"), 1, 1000000);
  EXPECT_TRUE(d0.complete);
  EXPECT_TRUE(d1.complete);
  EXPECT_LT(d0.schedules, d1.schedules);
}

TEST(Campaign, EveryBuggyVariantIsFoundAndTheFixIsNot) {
  for (auto* v : all_variants()) {
    RunConfig c = cfg(v->name);
    // The access.c eras are judged on the access.c scenarios; the topology
    // scenarios find the reports docs/model.md lists under "Findings" there.
    c.topology = !access_c_era(v->name);
    // The era's own bug: every pciehp removal on a mainline-based era shows
    // lockdep mainline's known reset_lock cycle first (findings.h).
    c.skip_known = true;
    CampaignResult rnd = campaign(SchedulerKind::random, c, 1, 30, 200000);
    if (std::string(v->expected) == "none") {
      EXPECT_FALSE(rnd.found) << v->name << ": " << rnd.first.report.title;
      continue;
    }
    ASSERT_TRUE(rnd.found) << v->name;
    EXPECT_NE(std::string(v->expected).find(kind_name(rnd.first.report.kind)), std::string::npos)
        << v->name << ": " << rnd.first.report.title;
    RunResult again = run_bytes(rnd.input, c);
    ASSERT_TRUE(again.has_report) << v->name;
    EXPECT_EQ(again.report.title, rnd.first.report.title) << v->name;
  }
}

TEST(Campaign, SameSeedSameResult) {
  RunConfig c = cfg("v4.10");
  CampaignResult a = campaign(SchedulerKind::pct, c, 42, 30, 100000, 5);
  CampaignResult b = campaign(SchedulerKind::pct, c, 42, 30, 100000, 5);
  EXPECT_EQ(a.found, b.found);
  EXPECT_EQ(a.runs, b.runs);
  EXPECT_EQ(a.input, b.input);
}

TEST(Minimize, KeepsTheTitleAndDoesNotGrow) {
  RunConfig c = cfg("v4.10");
  CampaignResult rnd = campaign(SchedulerKind::random, c, 3, 30, 200000);
  ASSERT_TRUE(rnd.found);
  auto small = minimize_input(rnd.input, c);
  EXPECT_LE(small.size(), rnd.input.size());
  RunResult r = run_bytes(small, c);
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.title, rnd.first.report.title);
}

}  // namespace

namespace {

TEST(Kcsan, FindsTheListRaceOnV410AndNothingOnTheFix) {
  RunConfig c = cfg("v4.10");
  c.oracles.kcsan = true;
  c.skip_known = true;  // mainline's pciehp lockdep cycle (findings.h) lets the run go on
  CampaignResult bug = campaign(SchedulerKind::random, c, 1, 30, 100000);
  ASSERT_TRUE(bug.found);
  EXPECT_EQ(bug.first.report.kind, ReportKind::data_race);
  EXPECT_NE(bug.first.report.title.find("__wake_up_common"), std::string::npos) << bug.first.report.title;
  RunConfig f = cfg("v5.9");
  f.oracles.kcsan = true;
  f.topology = false;  // vfio's MSI enable races on the bitfield word: docs/model.md "Findings"

  CampaignResult fix = campaign(SchedulerKind::random, f, 1, 30, 20000);
  EXPECT_FALSE(fix.found) << fix.first.report.title << "\n" << fix.first.report.body;
  EXPECT_EQ(fix.runs, 20000u);
}

TEST(LocklessConfig, RemovesThePerfReadersInversion) {
  // CONFIG_PCI_LOCKLESS_CONFIG: kernel reads skip pci_lock, so the perf
  // reader no longer takes pi_lock -> pci_lock and v2.6.20 has no cycle.
  RunConfig c = cfg("v2.6.20");
  c.lockless_config = true;
  c.topology = false;
  CampaignResult r = campaign(SchedulerKind::random, c, 1, 30, 20000);
  EXPECT_FALSE(r.found) << r.first.report.title;
}

}  // namespace
