// corpora/crashes/: one saved crash per buggy variant. Each replays to its
// recorded title, replays identically twice, and its scenario is clean on
// mainline, the clean reference, but for mainline's known findings.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "pcirig/model/findings.h"
#include "pcirig/model/input_file.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"

using namespace pcirig::model;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> crash_files() {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(fs::path(PCIRIG_SOURCE_DIR) / "corpora" / "crashes"))
    if (e.path().extension() == ".pcirig") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

RunConfig config_for(const SavedInput& in, const char* variant) {
  RunConfig c;
  c.variant = find_variant(variant);
  c.oracles.kcsan = in.kcsan;
  c.lockless_config = in.lockless;
  c.skip_known = in.skip_known;
  return c;
}

TEST(Crashes, EveryBuggyVariantHasOne) {
  std::set<std::string> have;
  for (auto& f : crash_files()) have.insert(read_input_file(f).variant);
  for (auto* v : all_variants()) {
    if (std::string(v->expected) == "none") continue;
    EXPECT_TRUE(have.count(v->name)) << "no crash saved for " << v->name << " in corpora/crashes/";
  }
}

TEST(Crashes, ReplayToTheirTitle) {
  auto files = crash_files();
  ASSERT_FALSE(files.empty());
  for (auto& f : files) {
    SavedInput in = read_input_file(f);
    ASSERT_TRUE(find_variant(in.variant)) << f;
    RunResult r = run_bytes(in.bytes, config_for(in, in.variant.c_str()));
    ASSERT_TRUE(r.has_report) << f;
    EXPECT_EQ(r.report.title, in.title) << f;
    EXPECT_EQ(kind_name(r.report.kind), in.kind) << f;
    // The kind is one the variant is expected to show.
    std::string expected = find_variant(in.variant)->expected;
    EXPECT_NE(expected.find(in.kind), std::string::npos) << f << ": " << in.kind << " not in " << expected;
  }
}

TEST(Crashes, SameBytesSameTrace) {
  for (auto& f : crash_files()) {
    SavedInput in = read_input_file(f);
    RunConfig c = config_for(in, in.variant.c_str());
    RunResult a = run_bytes(in.bytes, c);
    // Something else in between, to catch state leaking from run to run.
    RandomChooser noise(7);
    run_scenario(parse_scenario("reset:0,reset:0;config_read:0;config_read:0,perf_read:0:1"), noise, c);
    RunResult b = run_bytes(in.bytes, c);
    ASSERT_EQ(a.trace.size(), b.trace.size()) << f;
    for (std::size_t i = 0; i < a.trace.size(); ++i) {
      EXPECT_EQ(a.trace[i].task, b.trace[i].task) << f << " step " << i;
      EXPECT_EQ(a.trace[i].p.line, b.trace[i].p.line) << f << " step " << i;
    }
    EXPECT_EQ(a.report.body, b.report.body) << f;
    EXPECT_EQ(format_timeline(a), format_timeline(b)) << f;
  }
}

TEST(Crashes, SameScenarioIsCleanOnTheFix) {
  for (auto& f : crash_files()) {
    SavedInput in = read_input_file(f);
    RunConfig fixed = config_for(in, "mainline");
    RunResult same = run_bytes(in.bytes, fixed);
    // pciehp_event: lockdep's reset_lock/pci_rescan_remove_lock cycle, a known finding
    EXPECT_TRUE(!same.has_report || known_finding(same.report)) << f << ": " << same.report.title;
    // And many other schedules of that scenario: nothing but mainline's
    // own known findings (findings_test.cc).
    std::size_t used = 0;
    Scenario sc = decode_scenario(in.bytes, used);
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
      RandomChooser ch(seed);
      RunResult r = run_scenario(sc, ch, fixed);
      ASSERT_TRUE(!r.has_report || known_finding(r.report)) << f << " seed " << seed << ": " << r.report.title;
    }
  }
}

TEST(Crashes, FileErrorsNameFileAndLine) {
  std::string dir = (fs::temp_directory_path() / "pcirig-bad-input-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);  // not a fixed name in /tmp another user could plant
  auto p = fs::path(dir) / "bad-input.pcirig";
  {
    std::ofstream o(p);
    o << "# pcirig-model input\nvariant: v4.10\nbytes: 0g\n";
  }
  try {
    read_input_file(p.string());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(p.string() + ":3:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'bytes'"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
