// A real deadlock in the fixed-lockdep+crashtest guest (label guest), formed by the crash
// test module and found and named by the rig (rig/src/hang/). Skipped, saying so, when
// that kernel is not in the cache: CI builds no control kernel.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "hang/deadlock_run.hpp"
#include "images/kernel_image.hpp"
#include "util/line_log.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
fs::path runs_dir() {
  static const fs::path d = make_private_dir(fs::temp_directory_path(), "pcirig-hang-tests-");
  return d;
}

// The run directories are kept when a test failed (they are what to read).
class RunsDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!::testing::UnitTest::GetInstance()->Passed()) {
      fprintf(stderr, "hang runs kept in %s\n", runs_dir().c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(runs_dir(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const g_cleanup = ::testing::AddGlobalTestEnvironment(new RunsDirCleanup);

// The fixed-lockdep+crashtest kernel with the module: made by guest-images/testmod/image.sh
// (seconds when the kernel is built; the kernel itself is not built here).
std::optional<KernelImage> lockdep_image() {
  fs::path kernel = cache_dir() / "kernels" / "fixed-lockdep+crashtest" / "kernel.json";
  if (!fs::exists(kernel)) return std::nullopt;
  std::string cmd = std::string(PCIRIG_SOURCE_DIR) + "/guest-images/testmod/image.sh --kernel fixed-lockdep+crashtest >/dev/null";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd << " failed";
  return find_kernel_image((cache_dir() / "images" / "fixed-lockdep+crashtest+testmod" / "image.json").string(), false);
}
}  // namespace

// AB-BA between a device lock and a mutex, formed in the guest: the resets stop, the rig
// dumps twice, finds the cycle in lockdep's held locks and reports it, long before the
// kernel's hung-task detector (75 s under TCG) could.
TEST(HangGuest, AbbaDeadlockFoundAndNamedByTheRig) {
  auto img = lockdep_image();
  if (!img) GTEST_SKIP() << "no fixed-lockdep+crashtest kernel in the cache (./run.sh images --kernel fixed-lockdep+crashtest)";
  DeadlockRun d = run_deadlock("deadlock_abba", *img, runs_dir(), 5, 60);
  const auto& r = d.outcome.result;
  ASSERT_EQ(r.value("result", ""), "kernel_crash") << r.dump(2);
  EXPECT_EQ(d.detected_by, "rig");
  EXPECT_EQ(d.title, "INFO: task hung in crashtest_abba_a_then_b");
  EXPECT_TRUE(d.deadlock_named) << r["crash"].dump(2);
  // Both tasks and both locks are in the cycle, lock A being the device's.
  EXPECT_NE(d.cycle.find("dl-abba/0:"), std::string::npos) << d.cycle;
  EXPECT_NE(d.cycle.find("dl-abba/1:"), std::string::npos) << d.cycle;
  EXPECT_NE(d.cycle.find("crashtest_dl_b"), std::string::npos) << d.cycle;
  EXPECT_NE(d.cycle.find("&dev->mutex"), std::string::npos) << d.cycle;
  ASSERT_GT(d.formed_t, 0);
  ASSERT_GT(d.reported_t, d.formed_t);
  fprintf(stderr, "deadlock formed at %.1f s, reported at %.1f s (%.1f s later)\n", d.formed_t, d.reported_t,
          d.reported_t - d.formed_t);
  EXPECT_EQ(r["crash"]["hang"].value("first_sign", ""), "counters_stopped");
  std::string journal = read_file_text(d.outcome.run_dir / "journal.jsonl");
  EXPECT_NE(journal.find("\"ev\":\"hang_reported\""), std::string::npos);
  EXPECT_NE(r["crash"].value("report", "").find("Deadlock: a wait-for cycle of 2 tasks"), std::string::npos);
}
