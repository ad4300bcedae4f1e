// corpora/findings/: mainline's known findings (findings.h). Each saved input
// replays to its title and is recognised as its own finding; no era's saved
// crash is taken for a known finding, so --skip-known never hides an era's bug;
// and a search with skip_known on mainline counts them and reports nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "pcirig/model/findings.h"
#include "pcirig/model/input_file.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

using namespace pcirig::model;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> saved(const char* dir) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(fs::path(PCIRIG_SOURCE_DIR) / "corpora" / dir))
    if (e.path().extension() == ".pcirig") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

RunResult replay(const SavedInput& in) {
  RunConfig c;
  c.variant = find_variant(in.variant);
  c.oracles.kcsan = in.kcsan;
  c.lockless_config = in.lockless;
  c.skip_known = in.skip_known;
  return run_bytes(in.bytes, c);
}

TEST(Findings, EachHasASavedInputThatReplaysToIt) {
  std::set<std::string> files;
  for (auto& f : saved("findings")) {
    SavedInput in = read_input_file(f);
    RunResult r = replay(in);
    ASSERT_TRUE(r.has_report) << f;
    EXPECT_EQ(r.report.title, in.title) << f;
    const Finding* k = known_finding(r.report);
    ASSERT_NE(k, nullptr) << f << ": " << r.report.title << " is no known finding";
    // NAME.pcirig, or NAME--how.pcirig for another way the same finding shows.
    std::string name = f.stem().string().substr(0, f.stem().string().find("--"));
    EXPECT_EQ(name, k->name) << f;
    files.insert(name);
  }
  for (const Finding& k : known_findings()) EXPECT_TRUE(files.count(k.name)) << "no corpora/findings/" << k.name;
}

// The WARN lands on the device's owner, whose stack shows no walk: the report names
// the task that cleared block_cfg_access under it, in the walk, as KASAN names a
// freeing task, and that is what makes it the known finding.
TEST(Findings, AVictimsWarnNamesTheTaskThatClearedTheBit) {
  SavedInput in = read_input_file(fs::path(PCIRIG_SOURCE_DIR) / "corpora/findings/bus-walk-vs-hotplug--victim-warn.pcirig");
  RunResult r = replay(in);
  ASSERT_TRUE(r.has_report);
  ASSERT_EQ(r.report.title, "WARNING in pci_cfg_access_unlock");
  const std::string& b = r.report.body;
  std::size_t trace = b.find("Call Trace:"), cleared = b.find("block_cfg_access last cleared by T");
  ASSERT_NE(trace, std::string::npos);
  ASSERT_NE(cleared, std::string::npos) << b;
  EXPECT_EQ(b.find("pci_slot_unlock"), b.find("pci_slot_unlock", cleared)) << "the walk is in the clearer's stack only";
  EXPECT_NE(b.find("sriov_numvfs_store", trace), std::string::npos);
  const Finding* k = known_finding(r.report);
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->name, "bus-walk-vs-hotplug");
}

TEST(Findings, NoErasCrashIsTakenForOne) {
  auto crashes = saved("crashes");
  ASSERT_FALSE(crashes.empty());
  for (auto& f : crashes) {
    RunResult r = replay(read_input_file(f));
    ASSERT_TRUE(r.has_report) << f;
    const Finding* k = known_finding(r.report);
    EXPECT_EQ(k, nullptr) << f << " would be skipped as " << (k ? k->name : "");
  }
}

// The pciehp cycle needs three tasks to hang, but lockdep sees it in the IRQ
// thread alone (down_read is a non-recursive read: reset_lock -(SN)->
// pci_rescan_remove_lock -(EN)-> reset_lock), as a kernel's lockdep does.
// Under skip_known the run goes on past it.
TEST(Findings, LockdepSeesThePciehpCycleInTheIrqThreadAlone) {
  RunConfig c;
  c.variant = find_variant("mainline");
  NonPreemptiveChooser ch;
  Scenario sc = parse_scenario("pciehp_event:rp0;config_read:dev0");
  RunResult r = run_scenario(sc, ch, c);
  ASSERT_TRUE(r.has_report);
  EXPECT_EQ(r.report.kind, ReportKind::lock_inversion);
  EXPECT_EQ(r.report.title, "possible deadlock in pciehp_unconfigure_device");
  EXPECT_NE(r.report.body.find("-(SN)-> taken while holding &ctrl->reset_lock (read)"), std::string::npos)
      << r.report.body;
  const Finding* k = known_finding(r.report);
  ASSERT_NE(k, nullptr) << r.report.body;
  EXPECT_STREQ(k->name, "pciehp-rescan-remove-cycle");
  c.skip_known = true;
  RunResult on = run_scenario(sc, ch, c);
  EXPECT_FALSE(on.has_report) << on.report.title;
  ASSERT_NE(on.known_lockdep, nullptr);
  EXPECT_STREQ(on.known_lockdep, "pciehp-rescan-remove-cycle");
  // The era whose pciehp keeps reset_lock across unbinding never takes it
  // again under pci_rescan_remove_lock: no lockdep cycle there (its
  // deadlock runs through device_lock, which lockdep does not validate).
  c.skip_known = false;
  c.variant = find_variant("pciehp-4.19");
  RunResult era = run_scenario(sc, ch, c);
  EXPECT_FALSE(era.has_report) << era.report.title;
}

TEST(Findings, SkipKnownCountsThemAndGoesOn) {
  RunConfig c;
  c.variant = find_variant("mainline");
  CampaignResult plain = campaign(SchedulerKind::random, c, 1, 60, 20000);
  ASSERT_TRUE(plain.found);  // mainline's findings are reachable by a search
  EXPECT_NE(known_finding(plain.first.report), nullptr) << plain.first.report.title;
  c.skip_known = true;
  CampaignResult skip = campaign(SchedulerKind::random, c, 1, 60, 20000);
  EXPECT_FALSE(skip.found) << skip.first.report.title;
  EXPECT_EQ(skip.runs, 20000u);
  std::uint64_t known = 0;
  for (const auto& [name, n] : skip.known) known += n;
  EXPECT_GT(known, 0u);
}

}  // namespace
