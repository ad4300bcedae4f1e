// The rig's hang detection (rig/src/hang/): the dump parser and the wait-for graph on
// golden consoles (tests/rig/golden/hang/: real sysrq w + d output of the crash test
// module's deadlocks, as the rig received it), the progress watch.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hang/blocked_dump.hpp"
#include "hang/hang_verdict.hpp"
#include "hang/progress_watch.hpp"
#include "util/line_log.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {

// A golden: header lines "KEY: value" up to a blank line, then the console as the rig
// received it, holding its dumps 1 and 2.
struct HangGolden {
  std::map<std::string, std::string> head;
  std::string dump1, dump2;
};

HangGolden read_golden(const fs::path& p) {
  std::string text = read_file_text(p);
  HangGolden g;
  size_t blank = text.find("\n\n");
  std::istringstream hs(text.substr(0, blank));
  for (std::string line; std::getline(hs, line);) {
    auto c = line.find(": ");
    if (c != std::string::npos) g.head[line.substr(0, c)] = line.substr(c + 2);
  }
  std::string body = text.substr(blank + 2);
  g.dump1 = dump_text(body, 1);
  g.dump2 = dump_text(body, 2);
  EXPECT_FALSE(g.dump1.empty() || g.dump2.empty()) << p;
  return g;
}
}  // namespace

TEST(HangDump, GoldenFiles) {
  int n = 0;
  for (auto& e : fs::directory_iterator(fs::path(GOLDEN_DIR) / "hang")) {
    if (e.path().extension() != ".log") continue;
    n++;
    SCOPED_TRACE(e.path().filename().string());
    HangGolden g = read_golden(e.path());
    BlockedDump a = parse_blocked_dump(g.dump1), b = parse_blocked_dump(g.dump2);
    EXPECT_EQ(std::to_string(b.tasks.size()), g.head["BLOCKED"]);
    EXPECT_EQ(b.locks_shown ? "yes" : "no", g.head["LOCKS"]);
    auto f = judge_hang(a, b);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->title, g.head["TITLE"]);
    EXPECT_EQ(std::to_string(f->stuck.size()), g.head["STUCK"]);
    EXPECT_EQ(f->waits.cycle_text, g.head.count("CYCLE") ? g.head["CYCLE"] : "");
    EXPECT_EQ(f->deadlock(), g.head.count("CYCLE") > 0);
    EXPECT_EQ(f->io_wait, g.head.count("IO_WAIT") ? g.head["IO_WAIT"] : "");
  }
  EXPECT_GE(n, 3);
}

// Without lockdep's lists (a kernel without lockdep: the same real dumps, the sysrq d
// part left out) owners are unknown: no cycle, the stuck tasks grouped by what they wait in.
TEST(HangDump, WithoutHeldLocksTheWaitsAreGrouped) {
  HangGolden g = read_golden(fs::path(GOLDEN_DIR) / "hang" / "deadlock_abba.log");
  auto strip = [](std::string d) { return d.substr(0, d.find("sysrq: Show Locks Held")); };
  BlockedDump a = parse_blocked_dump(strip(g.dump1)), b = parse_blocked_dump(strip(g.dump2));
  EXPECT_FALSE(b.locks_shown);
  auto f = judge_hang(a, b);
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE(f->deadlock());
  EXPECT_FALSE(f->waits.owners_known);
  EXPECT_EQ(f->title, "INFO: task hung in pci_reset_function");  // the first stuck task: the agent's resetter
  EXPECT_NE(f->report.find("Lock owners unknown"), std::string::npos) << f->report;
  EXPECT_NE(f->report.find("a mutex taken in crashtest_abba_a_then_b (owner unknown): dl-abba/0:"), std::string::npos)
      << f->report;
}

// A task whose stack changed between the dumps moved: it is not stuck, and a cycle
// through it is no deadlock.
TEST(HangDump, AStackThatChangedIsNotStuck) {
  HangGolden g = read_golden(fs::path(GOLDEN_DIR) / "hang" / "deadlock_abba.log");
  std::string later = g.dump2;
  // The frame under the lock call, in dump 2's stack of dl-abba/1: another offset.
  size_t at = later.find("\n", later.find("mutex_lock_nested", later.find("task:dl-abba/1")));
  at = later.find("crashtest_abba_b_then_a+0x", at);
  ASSERT_NE(at, std::string::npos);
  later.replace(at + 26, 1, "f");
  auto f = judge_hang(parse_blocked_dump(g.dump1), parse_blocked_dump(later));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->stuck.size(), 2u);
  EXPECT_FALSE(f->deadlock()) << f->waits.cycle_text;
}

// What the guest prints is capped: tasks, frames per task, locks per task.
TEST(HangDump, HostileDumpIsCapped) {
  std::string d;
  for (int i = 0; i < 700; i++) d += "task:t" + std::to_string(i) + " state:D stack:0 pid:" + std::to_string(i + 1) + " ppid:2 flags:0x0\n";
  d += "Call Trace:\n<TASK>\n";
  for (int i = 0; i < 200; i++) d += " f" + std::to_string(i) + "+0x1/0x2\n";
  d += "</TASK>\n99 locks held by t699/700:\n";
  for (int i = 0; i < 200; i++) d += " #" + std::to_string(i) + ": ffff0000 (l){+.+.}-{3:3}, at: g+0x1/0x2\n";
  d += std::string(5000, 'x') + "\n";  // a line past printk's limit: skipped
  BlockedDump b = parse_blocked_dump(d);
  EXPECT_EQ(b.tasks.size(), kMaxDumpTasks);
  ASSERT_EQ(b.held.size(), 1u);
  EXPECT_EQ(b.held[0].locks.size(), kMaxTaskLocks);
  EXPECT_GT(b.skipped, 0u);
  // A task never shown (past the cap) has no stack: nothing judged stuck from it.
  EXPECT_FALSE(judge_hang(b, b).has_value());
}

TEST(ProgressWatch, StalledCounterIsASignOnceUntilItMoves) {
  Workload w;
  w.readers = 1, w.resetters = 1;
  ProgressWatch pw(w, 3.0);
  AgentStats s;
  double t = 0;
  for (int i = 0; i < 5; i++, t += 1) {
    s.config_reads += 100, s.resets += 5;
    EXPECT_FALSE(pw.feed(t, s).has_value());
  }
  std::optional<Stall> st;
  for (int i = 0; i < 5 && !st; i++, t += 1) {
    s.config_reads += 100;  // readers go on, resets stopped
    st = pw.feed(t, s);
  }
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->counter, "resets");
  EXPECT_GE(st->seconds, 3.0);
  s.config_reads += 100;
  EXPECT_FALSE(pw.feed(t + 1, s).has_value()) << "once per stall";
  s.resets += 1, s.config_reads += 100;
  EXPECT_FALSE(pw.feed(t + 2, s).has_value());
  st.reset();
  for (int i = 0; i < 4 && !st; i++) s.config_reads += 100, st = pw.feed(t + 3 + i, s);
  ASSERT_TRUE(st.has_value()) << "a new stall after it moved";
}


// A reset worker that blocked after the first dump is not stuck, but its queue freeze
// waits for requests that time out: the longer bar applies and the body shows it.
TEST(HangDump, ADeviceWaitOfATaskNotYetStuckStillCounts) {
  BlockedTask reader{"pcirig-agent", 80, 'D', {"__schedule+0x29b/0x740", "schedule+0x57/0xb0", "pci_wait_cfg+0xd6/0x140"}};
  BlockedTask worker{"kworker/u4:0", 9, 'D', {"__schedule+0x29b/0x740", "schedule+0x57/0xb0",
                                             "blk_mq_freeze_queue_wait+0x8f/0xd0", "nvme_wait_freeze+0x31/0x50",
                                             "nvme_reset_work+0xe49/0x1240"}};
  BlockedDump before, after;
  before.tasks = {reader};
  after.tasks = {worker, reader};
  auto f = judge_hang(before, after);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->stuck, std::set<int64_t>{80});
  EXPECT_EQ(f->io_wait, "kworker/u4:0:9 in blk_mq_freeze_queue_wait");
  EXPECT_NE(f->report.find("Also blocked in the last dump"), std::string::npos) << f->report;
  EXPECT_NE(f->report.find("nvme_reset_work"), std::string::npos) << f->report;
  before.tasks = {reader};
  after.tasks = {reader};
  EXPECT_EQ(judge_hang(before, after)->io_wait, "") << "no device wait anywhere: the 60 s bar";
}
