// Kernel report titles. Golden files hold REAL console logs this rig's guests produced
// (tests/rig/golden/NAME.log: TITLE:, KIND:, CORRUPTED:, FRAME_UNRELIABLE:, blank line,
// log), except synthetic-*.log, which say so in a SYNTHETIC: line (hand-made from the
// kernel's format strings, for reports no kernel built here prints). The Synthetic*
// tests use hand-made fragments and are named so.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "console/crash_title.hpp"
#include "util/line_log.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
struct Golden {
  std::string title, kind, synthetic, log;
  int corrupted = -1, unreliable = 0;
};
Golden read_golden(const fs::path& p) {
  Golden g;
  std::string text = read_file_text(p);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    if (line.rfind("TITLE: ", 0) == 0) g.title = line.substr(7);
    if (line.rfind("KIND: ", 0) == 0) g.kind = line.substr(6);
    if (line.rfind("SYNTHETIC: ", 0) == 0) g.synthetic = line.substr(11);
    if (line.rfind("CORRUPTED: ", 0) == 0) g.corrupted = std::stoi(line.substr(11));
    if (line.rfind("FRAME_UNRELIABLE: ", 0) == 0) g.unreliable = std::stoi(line.substr(18));
  }
  g.log = text.substr(pos);
  return g;
}

std::vector<fs::path> golden_paths() {
  std::vector<fs::path> v;
  for (auto& e : fs::directory_iterator(GOLDEN_DIR))
    if (e.path().extension() == ".log") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// The log with a line from elsewhere (another CPU, the guest's init) after every
// second line of the report: what a console under load looks like.
std::string interleave(const std::string& log, size_t from_line) {
  std::string out;
  size_t pos = 0, n = 0;
  while (pos < log.size()) {
    size_t nl = log.find('\n', pos);
    if (nl == std::string::npos) nl = log.size() - 1;
    out += log.substr(pos, nl - pos + 1);
    if (n >= from_line && (n - from_line) % 2 == 1)
      out += "[    9.999999] e1000e 0000:01:00.0 eth1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx\n";
    pos = nl + 1;
    n++;
  }
  return out;
}
}  // namespace

TEST(CrashTitle, GoldenFiles) {
  int n = 0;
  for (auto& e : fs::directory_iterator(GOLDEN_DIR)) {
    if (e.path().extension() != ".log") continue;
    SCOPED_TRACE(e.path().filename().string());
    Golden g = read_golden(e.path());
    ASSERT_FALSE(g.title.empty()) << "golden file without TITLE:";
    auto r = parse_console(g.log);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->title, g.title);
    EXPECT_EQ(int(r->corrupted), g.corrupted);
    EXPECT_EQ(int(r->frame_unreliable), g.unreliable);
    if (!g.kind.empty()) {
      EXPECT_EQ(r->kind, g.kind);
    }
    EXPECT_FALSE(r->text.empty());
    n++;
  }
  EXPECT_GE(n, 7) << "BUG, WARN, list_add, list_del, NULL deref, hung task, soft lockup at least";
}

// Every family keeps its title when other output is interleaved with the report.
TEST(CrashTitle, GoldenFilesInterleaved) {
  for (auto& p : golden_paths()) {
    SCOPED_TRACE(p.filename().string());
    Golden g = read_golden(p);
    auto clean = parse_console(g.log);
    ASSERT_TRUE(clean);
    auto r = parse_console(interleave(g.log, clean->first_line));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->title, g.title);
    EXPECT_EQ(int(r->corrupted), g.corrupted);
    EXPECT_EQ(r->kind, clean->kind);
  }
}

// The lockdep and debug families each have a golden file with their title and kind.
TEST(CrashTitle, GoldenFamiliesCovered) {
  std::map<std::string, std::string> kind_of;  // title prefix -> kind
  for (auto& p : golden_paths()) {
    Golden g = read_golden(p);
    kind_of[g.title.substr(0, g.title.find(" in "))] = g.kind;
  }
  const std::pair<const char*, const char*> families[] = {
      {"possible deadlock", "lockdep"},
      {"inconsistent lock state", "lockdep"},
      {"WARNING: lock held when returning to user space", "lockdep"},
      {"WARNING: bad unlock balance", "lockdep"},
      {"WARNING: held lock freed", "lockdep"},
      {"WARNING: suspicious RCU usage", "lockdep"},
      {"BUG: sleeping function called from invalid context", "atomic_sleep"},
      {"BUG: scheduling while atomic", "atomic_sleep"},
      {"KFENCE: use-after-free read", "kfence"},
      {"UBSAN: array-index-out-of-bounds", "ubsan"},
      {"BUG: workqueue lockup", "workqueue_lockup"},
      {"INFO: rcu detected stall", "rcu_stall"},
      {"INFO: task hung", "hung_task"},
      {"BUG: soft lockup", "soft_lockup"},
  };
  // Synthetic goldens count too: a family must have at least one.
  for (auto& [prefix, kind] : families) {
    SCOPED_TRACE(prefix);
    auto it = kind_of.find(prefix);
    ASSERT_NE(it, kind_of.end()) << "no golden file";
    EXPECT_EQ(it->second, kind);
  }
  bool kasan = std::any_of(kind_of.begin(), kind_of.end(), [](auto& e) { return e.second == "kasan"; });
  EXPECT_TRUE(kasan) << "no KASAN golden file";
}

TEST(CrashTitle, CleanBootHasNoReport) {
  // The golden logs' boot part (everything before the report) must not count as a crash.
  Golden g = read_golden(fs::path(GOLDEN_DIR) / "warn.log");
  size_t at = g.log.find("------------[ cut here ]");
  ASSERT_NE(at, std::string::npos);
  EXPECT_FALSE(parse_console(g.log.substr(0, at)).has_value());
}

TEST(CrashTitle, TruncatedReportIsCorrupted) {
  Golden g = read_golden(fs::path(GOLDEN_DIR) / "null_deref.log");
  size_t at = g.log.find("BUG: kernel NULL pointer dereference");
  ASSERT_NE(at, std::string::npos);
  size_t cut = g.log.find('\n', at);
  auto r = parse_console(g.log.substr(0, cut + 1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->corrupted);
  EXPECT_EQ(r->title, "BUG: unable to handle kernel NULL pointer dereference");
}

TEST(CrashTitle, Normalisation) {
  EXPECT_EQ(normalise_title("WARNING in foo+0x1a/0x80"), "WARNING in foo");
  EXPECT_EQ(normalise_title("BUG: bad at ffff888012345678 on CPU#3"), "BUG: bad at ADDR on CPU");
  EXPECT_EQ(normalise_title("kernel BUG at lib/list_debug.c:30!"), "kernel BUG at lib/list_debug.c:LINE!");
  EXPECT_EQ(normalise_title("x 123456 y 12"), "x NUM y 12");
  EXPECT_EQ(normalise_title(std::string(200, 'a')).size(), 120u);
}

TEST(CrashTitle, FrameSymbol) {
  EXPECT_EQ(frame_symbol(" ? __list_add_valid.cold+0x3d/0x45 [mod]"), "__list_add_valid");
  EXPECT_EQ(frame_symbol("pci_cfg_access_unlock+0x1c/0x40"), "pci_cfg_access_unlock");
  EXPECT_EQ(strip_console_prefix("[   12.345678] Call Trace:\r"), "Call Trace:");
  EXPECT_EQ(strip_console_prefix("[   12.345678][    T1] BUG: x"), "BUG: x");
  EXPECT_TRUE(is_infrastructure_frame("_raw_spin_lock_irqsave"));
  EXPECT_TRUE(is_infrastructure_frame("__list_del_entry_valid"));
  EXPECT_FALSE(is_infrastructure_frame("__wake_up_common"));
  EXPECT_FALSE(is_infrastructure_frame("pci_cfg_access_unlock"));
}

// Synthetic: the 2019 wake-path shape (RIP without a symbol: a call through a freed
// wait-queue entry). Not a captured log; the shape follows the lore report.
TEST(CrashTitle, SyntheticWakePathOops) {
  const char* log =
      "[  100.000001] BUG: unable to handle page fault for address: ffffc90000abcd40\n"
      "[  100.000002] #PF: supervisor instruction fetch in kernel mode\n"
      "[  100.000003] Oops: 0011 [#1] PREEMPT SMP NOPTI\n"
      "[  100.000004] RIP: 0010:0xffffc90000abcd40\n"
      "[  100.000005] Call Trace:\n"
      "[  100.000006]  <TASK>\n"
      "[  100.000007]  ? __wake_up_common+0x7a/0x190\n"
      "[  100.000008]  __wake_up_common_lock+0x7c/0xc0\n"
      "[  100.000009]  pci_cfg_access_unlock+0x4a/0x60\n"
      "[  100.000010]  pci_try_reset_function+0x5e/0x80\n"
      "[  100.000011]  </TASK>\n"
      "[  100.000012] ---[ end trace 0000000000000000 ]---\n"
      "[  100.000013] Kernel panic - not syncing: Fatal exception\n";
  auto r = parse_console(log);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "BUG: unable to handle kernel paging request in __wake_up_common_lock");
  EXPECT_FALSE(r->frame_unreliable);
  EXPECT_FALSE(r->corrupted);
}

// Synthetic: every frame marked "?" -> use it, flag it.
TEST(CrashTitle, SyntheticOnlyUnreliableFrames) {
  const char* log =
      "general protection fault, probably for non-canonical address 0xdead000000000108: 0000 [#1] SMP\n"
      "RIP: 0010:0xdead000000000100\n"
      "Call Trace:\n"
      " <TASK>\n"
      " ? __wake_up_common+0x7a/0x190\n"
      " ? _raw_spin_lock_irqsave+0x1/0x2\n"
      " </TASK>\n"
      "---[ end trace 0000000000000000 ]---\n";
  auto r = parse_console(log);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "general protection fault in __wake_up_common");
  EXPECT_TRUE(r->frame_unreliable);
}

TEST(CrashTitle, SyntheticLonePanicAndSecondaryPanic) {
  auto r = parse_console("VFS: Cannot open root device\nKernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "panic");
  EXPECT_EQ(r->title.rfind("kernel panic: VFS: Unable to mount root fs", 0), 0u);
  EXPECT_FALSE(parse_console("Kernel panic - not syncing: Fatal exception\n").has_value());
  EXPECT_FALSE(is_report_start("[ 1.0] Kernel panic - not syncing: panic_on_warn set ..."));
  EXPECT_TRUE(is_report_start("[ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2"));
}

TEST(CrashTitle, SyntheticNewerWarningFormat) {
  auto r = parse_console("WARNING: drivers/pci/access.c:301 at pci_cfg_access_unlock+0x40/0x50, CPU#1: a/1\n"
                         "Call Trace:\n pci_reset_function+0x1/0x2\n---[ end trace 0 ]---\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "WARNING in pci_cfg_access_unlock");
}

// Synthetic: lockdep shapes of older kernels and cut-off reports.
TEST(CrashTitle, SyntheticLockdepVariants) {
  // Before 4.9 the header was "[ INFO: ... ]"; the site line had "[<addr>] func".
  auto r = parse_console(
      "[ INFO: possible circular locking dependency detected ]\n"
      "4.4.0 #1 Not tainted\n"
      "-------------------------------------------------------\n"
      "kworker/0:1/12 is trying to acquire lock:\n"
      " (&dev->mutex){+.+.+.}, at: [<ffffffff81234567>] pci_dev_lock+0x1a/0x40\n"
      "\n"
      "but task is already holding lock:\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "possible deadlock in pci_dev_lock");
  EXPECT_EQ(r->kind, "lockdep");
  EXPECT_FALSE(r->corrupted);

  // Cut off before the site: no function, corrupted.
  r = parse_console("WARNING: lock held when returning to user space!\n6.1.0 #1 Not tainted\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "WARNING: lock held when returning to user space");
  EXPECT_TRUE(r->corrupted);

  // The word is kept as printed.
  r = parse_console(
      "BUG: bad unlock balance detected!\n"
      "sh/99 is trying to release lock (&m) at:\n"
      "[<ffffffffc0001234>] drv_remove+0x44/0x90 [drv]\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "BUG: bad unlock balance in drv_remove");
}

// Synthetic: KASAN/KFENCE/UBSAN/workqueue shapes from the kernel's format strings
// (mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c, kernel/workqueue.c).
TEST(CrashTitle, SyntheticDebugVariants) {
  auto r = parse_console(
      "BUG: KASAN: double-free in kfree+0x8b/0x220\n"
      "Free of addr ffff888004b3e000 by task sh/1\n"
      "Call Trace:\n"
      " <TASK>\n"
      " dump_stack_lvl+0x5b/0x77\n"
      " kasan_report_invalid_free+0x8b/0x150\n"
      " kfree+0x8b/0x220\n"
      " pci_release_dev+0x4f/0x80\n"
      " </TASK>\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "KASAN: invalid-free in pci_release_dev");
  EXPECT_EQ(r->kind, "kasan");

  r = parse_console(
      "BUG: KFENCE: out-of-bounds write in pci_vpd_write+0x1c/0x90\n"
      "\n"
      "Out-of-bounds write at 0xffff88803ffe1000 (32B right of kfence-#71):\n"
      " pci_vpd_write+0x1c/0x90\n"
      " vpd_write+0x2a/0x40\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "KFENCE: out-of-bounds write in pci_vpd_write");
  EXPECT_EQ(r->kind, "kfence");

  r = parse_console(
      "UBSAN: shift-out-of-bounds in drivers/pci/probe.c:1234:5\n"
      "shift exponent 64 is too large for 64-bit type 'long unsigned int'\n"
      "Call Trace:\n"
      " <TASK>\n"
      " dump_stack_lvl+0x5b/0x77\n"
      " ubsan_epilogue+0x5/0x40\n"
      " __ubsan_handle_shift_out_of_bounds.cold+0x61/0xef\n"
      " pci_read_bases+0x1f0/0x300\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "UBSAN: shift-out-of-bounds in pci_read_bases");
  EXPECT_EQ(r->kind, "ubsan");

  r = parse_console("BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 40s!\n"
                    "Showing busy workqueues and worker pools:\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "BUG: workqueue lockup");
  EXPECT_EQ(r->kind, "workqueue_lockup");
  EXPECT_FALSE(r->corrupted);

  // The panic UBSAN/KASAN end with under panic_on_warn is not a report of its own.
  EXPECT_FALSE(is_report_start("[ 1.0] Kernel panic - not syncing: UBSAN: panic_on_warn set ..."));
}

// A hostile guest: report headers followed by lines far longer than printk makes.
TEST(CrashTitle, LongLinesInDebugReports) {
  const std::string words(300000, 'a');
  for (const char* header : {"BUG: KFENCE: use-after-free read in f+0x1/0x2\nUse-after-free read at 0x1 (in kfence-#1):\n",
                             "BUG: KASAN: use-after-free in f+0x1/0x2\n",
                             "WARNING: possible circular locking dependency detected\nsh/1 is trying to acquire lock:\n"}) {
    SCOPED_TRACE(header);
    auto r = parse_console(std::string(header) + "BUG: KASAN: " + words + "\nInvalid " + words + " at 0x1:\n at: " +
                           words + "\n");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->title.empty());
  }
}
