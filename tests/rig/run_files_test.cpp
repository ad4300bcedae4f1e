// Run directory, journal, flushing logs, replay from a journal, small helpers.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "cli/status_line.hpp"
#include "hotplug/injector.hpp"
#include "report/run_dir.hpp"
#include "util/duration.hpp"
#include "util/line_log.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
fs::path tmpdir() {
  return make_private_dir(fs::temp_directory_path(),
                          std::string("pcirig-test-") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-");
}
}  // namespace

TEST(RunFiles, RunDirLayoutAndJournalIsFlushedAsWritten) {
  fs::path d = tmpdir();
  RunDir run(d, 42, "t");
  EXPECT_EQ(run.path().parent_path(), d);
  EXPECT_NE(run.id().find("-42-t"), std::string::npos);
  for (const char* f : {"journal.jsonl", "qmp.jsonl", "agent.jsonl", "console.log", "stats.jsonl", "loadavg.jsonl"})
    EXPECT_TRUE(fs::exists(run.file(f))) << f;
  run.journal("plug", {{"slot", "rp3"}, {"kind", "nvme"}});
  run.journal("unplug", {{"slot", "rp3"}});
  // Read while the RunDir is alive: nothing may sit in a buffer.
  std::string j = read_file_text(run.file("journal.jsonl"));
  auto first = nlohmann::json::parse(j.substr(0, j.find('\n')));
  EXPECT_EQ(first["ev"], "plug");
  EXPECT_EQ(first["slot"], "rp3");
  EXPECT_GE(first["t"].get<double>(), 0.0);
  EXPECT_EQ(j.find("\"t\""), 1u) << "t first, then ev: " << j;
  // A second run with the same seed in the same second gets its own directory.
  RunDir run2(d, 42, "t");
  EXPECT_NE(run2.path(), run.path());
  EXPECT_EQ(run.write_errno(), 0);
  fs::remove_all(d);
}

TEST(RunFiles, FullDiskIsRemembered) {
  LineLog log("/dev/full");
  ASSERT_TRUE(log.is_open());
  log.write("console bytes\n");
  EXPECT_EQ(log.last_errno(), ENOSPC);
  EXPECT_EQ(write_file("/dev/full/x", "y") != 0, true);
}

// A run that fills its disk still ends with a verdict: the reserve held since
// the start is released for result.json. Needs root for a small tmpfs.
TEST(RunFiles, FullDiskStillGetsAResult) {
  fs::path mnt = tmpdir();
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=2m") != 0) GTEST_SKIP() << "cannot mount a tmpfs (not root?)";
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH), fs::remove_all(p); }
  } unmount{mnt};
  {
    RunDir run(mnt, 7, "full");
    EXPECT_TRUE(fs::exists(run.path() / ".reserve"));
    run.write_json("result.json", {{"result", "running"}});
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 64 && run.write_errno() == 0; i++) run.console_log().write(chunk);
    EXPECT_EQ(run.write_errno(), ENOSPC) << "the 2 MiB tmpfs should have filled";
    // Without the reserve released the verdict cannot be written...
    run.write_json("result.json", {{"result", "infra"}, {"infra", {{"kind", "disk_full"}}}});
    auto still = nlohmann::json::parse(read_file_text(run.file("result.json")));
    EXPECT_EQ(still["result"], "running");
    // ...with it released, it is.
    run.release_reserve();
    EXPECT_FALSE(fs::exists(run.path() / ".reserve"));
    run.write_json("result.json", {{"result", "infra"}, {"infra", {{"kind", "disk_full"}}}});
    auto r = nlohmann::json::parse(read_file_text(run.file("result.json")));
    EXPECT_EQ(r["infra"]["kind"], "disk_full");
    EXPECT_GT(fs::file_size(run.file("console.log")), 0u) << "the logs so far stay";
  }
  // A disk too full for the reserve refuses to start a run, saying why, and leaves
  // no empty run directory behind.
  LineLog filler(mnt / "filler");
  for (int i = 0; i < 64 && filler.last_errno() == 0; i++) filler.write(std::string(64 * 1024, 'y'));
  size_t before = std::distance(fs::directory_iterator(mnt), fs::directory_iterator());
  try {
    RunDir full(mnt, 8, "full");
    ADD_FAILURE() << "a run started on a full disk";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("disk is full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(mnt), fs::directory_iterator()), before);
}

TEST(RunFiles, ReplayOpsFollowTheJournal) {
  std::string journal =
      "{\"t\":1.0,\"ev\":\"agent_ready\"}\n"
      "{\"t\":2.0,\"ev\":\"storm_start\"}\n"
      "{\"t\":2.1,\"ev\":\"plug\",\"slot\":\"rp3\",\"kind\":\"nvme\",\"device\":\"rp3-nvme-1\"}\n"
      "{\"t\":2.3,\"ev\":\"plugged\",\"slot\":\"rp3\"}\n"
      "not json\n"
      "{\"t\":2.6,\"ev\":\"unplug\",\"slot\":\"rp3\",\"device\":\"rp3-nvme-1\",\"kind\":\"nvme\"}\n";
  auto ops = replay_ops_from_journal(journal);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].action, "plug");
  EXPECT_EQ(ops[0].kind, "nvme");
  EXPECT_NEAR(ops[0].t, 0.1, 1e-9);
  EXPECT_EQ(ops[1].action, "unplug");
  EXPECT_NEAR(ops[1].t, 0.6, 1e-9);
}

TEST(RunFiles, Durations) {
  EXPECT_EQ(parse_duration_seconds("30s"), 30.0);
  EXPECT_EQ(parse_duration_seconds("10m"), 600.0);
  EXPECT_EQ(parse_duration_seconds("1h"), 3600.0);
  EXPECT_EQ(parse_duration_seconds("1500ms"), 1.5);
  EXPECT_EQ(parse_duration_seconds("45"), 45.0);
  EXPECT_FALSE(parse_duration_seconds("soon"));
  EXPECT_FALSE(parse_duration_seconds("-3s"));
  EXPECT_FALSE(parse_duration_seconds("3 weeks"));
  EXPECT_EQ(format_duration(65), "1m05s");
}

TEST(RunFiles, StatusLineSaysWhatTheBriefAsks) {
  StatusFigures f{"running", 65, 600, 12, 11, 3, 4400, 9.5, 1};
  std::string s = format_status(f);
  for (const char* want : {"1m05s", "8m55s left", "plug 12", "unplug 11", "reads/s 4400", "resets/s 9.5", "vfio 3", "crashes 1"})
    EXPECT_NE(s.find(want), std::string::npos) << want << " in " << s;
}
