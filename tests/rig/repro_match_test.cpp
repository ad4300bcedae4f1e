// Title matching for `pcirig repro` (rig/src/repro/title_match.hpp) on signatures the
// real console parser gives for the golden consoles, and crash timing from a journal.
#include <gtest/gtest.h>

#include <filesystem>

#include "console/crash_title.hpp"
#include "repro/title_match.hpp"
#include "util/line_log.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
// The golden file's console (after its header) through the parser.
CrashSignature golden(const std::string& name) {
  std::string text = read_file_text(fs::path(GOLDEN_DIR) / name);
  auto body = text.substr(text.find("\n\n") + 2);
  auto r = parse_console(body);
  EXPECT_TRUE(r) << name;
  return r ? CrashSignature{r->title, r->kind, r->function, r->corrupted} : CrashSignature{};
}
}  // namespace

TEST(ReproMatch, SameTitleIsExact) {
  auto a = golden("regression-wake-pagefault.log");
  auto v = match_crash(a, a);
  EXPECT_EQ(v.rule, "exact-title");
  EXPECT_TRUE(v.reproduced);
}

// The regression kernel's bug shows as a paging fault or a GPF in the same function.
TEST(ReproMatch, MemoryFaultVariantInTheSameFunction) {
  auto pf = golden("regression-wake-pagefault.log"), gpf = golden("regression-wake-gpf-hotplug.log");
  ASSERT_EQ(pf.function, gpf.function);
  ASSERT_NE(pf.title, gpf.title);
  auto v = match_crash(pf, gpf);
  EXPECT_EQ(v.rule, "same-function-variant");
  EXPECT_TRUE(v.reproduced);
  EXPECT_EQ(variant_family(pf.kind), "memory-fault");
}

TEST(ReproMatch, MemoryFaultInAnotherFunctionIsDifferent) {
  auto nd = golden("regression-wake-null-deref.log"), pf = golden("regression-wake-pagefault.log");
  ASSERT_NE(nd.function, pf.function);  // __wake_up_common vs __wake_up_common_lock
  auto v = match_crash(nd, pf);
  EXPECT_EQ(v.rule, "different-crash");
  EXPECT_FALSE(v.reproduced);
}

TEST(ReproMatch, OtherFamiliesNeedTheExactTitle) {
  auto warn = golden("warn.log"), bug = golden("bug.log");
  EXPECT_EQ(match_crash(warn, bug).rule, "different-crash");
  // A WARNING and a BUG in one function are two reports, not variants of one.
  CrashSignature w{"WARNING in pci_cfg_access_unlock", "warning", "pci_cfg_access_unlock", false};
  CrashSignature b{"kernel BUG in pci_cfg_access_unlock", "bug", "pci_cfg_access_unlock", false};
  auto v = match_crash(w, b);
  EXPECT_EQ(v.rule, "different-crash");
  EXPECT_FALSE(v.reproduced);
  EXPECT_EQ(variant_family("warning"), "");
  EXPECT_EQ(variant_family("lockdep"), "");
}

TEST(ReproMatch, CorruptedAndCleanAreNotMatches) {
  auto a = golden("regression-wake-null-deref.log");
  CrashSignature cut = a;
  cut.corrupted = true;
  EXPECT_EQ(match_crash(a, cut).rule, "corrupted-report");
  EXPECT_FALSE(match_crash(a, cut).reproduced);
  EXPECT_EQ(match_crash(a, std::nullopt).rule, "no-crash");
  EXPECT_FALSE(match_crash(a, std::nullopt).reproduced);
}

TEST(ReproMatch, CrashTimingFromTheJournal) {
  std::string storm =
      "{\"t\":0.1,\"ev\":\"qemu_start\"}\n{\"t\":3.0,\"ev\":\"storm_start\"}\n{\"t\":7.5,\"ev\":\"kernel_report\"}\n"
      "{\"t\":8.0,\"ev\":\"kernel_report\"}\n";
  auto t = crash_timing_from_journal(storm);
  EXPECT_DOUBLE_EQ(t.seconds, 4.5);
  EXPECT_EQ(t.phase, "storm");
  auto b = crash_timing_from_journal("{\"t\":0.5,\"ev\":\"qemu_start\"}\n{\"t\":4.5,\"ev\":\"kernel_report\"}\n");
  EXPECT_DOUBLE_EQ(b.seconds, 4.0);
  EXPECT_EQ(b.phase, "boot");
  EXPECT_LT(crash_timing_from_journal("{\"t\":0.5,\"ev\":\"qemu_start\"}\nnot json\n").seconds, 0);
}

TEST(ReproMatch, ReplayFidelityFromTheJournal) {
  auto f = replay_fidelity_from_journal(
      "{\"t\":1,\"ev\":\"plug\",\"slot\":\"rp3\"}\n{\"t\":2,\"ev\":\"replay_skip\",\"slot\":\"rp9\"}\n"
      "{\"t\":3,\"ev\":\"unplug\",\"slot\":\"rp3\"}\n{\"t\":4,\"ev\":\"plug\",\"slot\":\"rp3\"}\n{\"t\":5,\"ev\":7}\nnot json\n");
  EXPECT_EQ(f.plugs, 2);
  EXPECT_EQ(f.unplugs, 1);
  EXPECT_EQ(f.skipped, 1);
}
