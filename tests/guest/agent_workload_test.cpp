// The workload's workers on a fake sysfs tree: readers pread real files,
// resetters and remove/rescan write real files; devices vanish under them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "fake_sysfs.hpp"
#include "workload.hpp"

using namespace pcirig::agent;
using pcirig::test::FakeSysfs;
using Clock = std::chrono::steady_clock;

namespace {

// Polls `cond` until it holds or `limit` passes; the condition, not the wait, is the test.
template <class F>
bool eventually(F cond, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

std::uint64_t get(const std::atomic<std::uint64_t>& a) { return a.load(); }

// A workload over the fake tree, its board holding the tree's listing as of now
// (later changes to the tree are what the board has not seen yet).
struct FakeGuest {
  explicit FakeGuest(const FakeSysfs& fs) : w(SysfsRoot{fs.root()}, board, counters, std::nullopt) {
    board.publish(list_pci_devices(SysfsRoot{fs.root()}));
  }
  DeviceBoard board;
  Counters counters;
  Workload w;
};

}  // namespace

TEST(AgentWorkload, ReadersAndResettersCountTheirWork) {
  FakeSysfs fs;
  fs.add_device("0000:00:00.0", "0x8086", "0x29c0", "0x060000");
  fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000", "virtio-pci", 4096, /*reset=*/true);
  FakeGuest g(fs);
  WorkloadSpec spec;
  spec.seed = 42;
  spec.readers = 2;
  spec.resetters = 1;
  g.w.start(spec);
  EXPECT_TRUE(eventually([&] { return get(g.counters.config_reads) > 100 && get(g.counters.resets) > 3; }));
  g.w.stop();
  const auto reads = get(g.counters.config_reads);
  // Sizes 1, 2, 4 and whole spaces of 256 and 4096 bytes: more bytes than reads.
  EXPECT_GT(get(g.counters.config_bytes), reads);
  EXPECT_EQ(get(g.counters.read_errors), 0u);
  EXPECT_EQ(get(g.counters.reset_errors), 0u);
  // Only the endpoint was reset, never the host bridge on bus 00: its `reset`
  // file does not even exist, so an attempt would have been an error.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(get(g.counters.config_reads), reads) << "workers still running after stop()";
}

// reset_method is written once per target before its resets; readers_on
// targets keeps readers off the functions nobody resets.
TEST(AgentWorkload, ResetMethodIsSetAndReadersCanFollowTheTargets) {
  FakeSysfs fs;
  fs.add_device("0000:00:00.0", "0x8086", "0x29c0", "0x060000");
  auto ep = fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000", "virtio-pci", 4096, /*reset=*/true);
  FakeSysfs::write(ep / "reset_method", "");  // sysfs shows "flr pm bus"; a plain file must start empty
  FakeGuest g(fs);
  WorkloadSpec spec;
  spec.seed = 3;
  spec.readers = 1;
  spec.resetters = 1;
  spec.read_sizes = {0};
  spec.read_targets_only = true;
  spec.reset_method = "pm";
  g.w.start(spec);
  EXPECT_TRUE(eventually([&] { return get(g.counters.config_reads) > 20 && get(g.counters.resets) > 3; }));
  g.w.stop();
  std::ifstream m(ep / "reset_method");
  std::string method;
  std::getline(m, method);
  EXPECT_EQ(method, "pm");
  // Whole-space reads of the 4096-byte endpoint only: never the 256-byte host bridge.
  EXPECT_EQ(get(g.counters.config_bytes), get(g.counters.config_reads) * 4096);
}

TEST(AgentWorkload, AVanishedDeviceIsCountedNotFatal) {
  FakeSysfs fs;
  fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000", "", 256, /*reset=*/true);
  fs.add_device("0000:02:00.0", "0x1af4", "0x1042", "0x010000", "", 256, /*reset=*/true);
  FakeGuest g(fs);
  // The board still lists 02:00.0 after it is gone, as it would between two
  // sysfs polls in the guest.
  fs.remove_device("0000:02:00.0");
  WorkloadSpec spec;
  spec.seed = 1;
  spec.readers = 1;
  spec.resetters = 1;
  g.w.start(spec);
  EXPECT_TRUE(eventually([&] { return get(g.counters.enodev) > 10 && get(g.counters.config_reads) > 10; }));
  g.w.stop();
  EXPECT_EQ(get(g.counters.read_errors), 0u);
  EXPECT_EQ(get(g.counters.reset_errors), 0u);
}

TEST(AgentWorkload, RemoveRescanWritesTheBusRescan) {
  FakeSysfs fs;
  auto dir = fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000");
  FakeSysfs::write(dir / "remove", "");
  FakeGuest g(fs);
  WorkloadSpec spec;
  spec.rescanners = 1;
  g.w.start(spec);
  EXPECT_TRUE(eventually([&] { return get(g.counters.rescans) >= 2; }));
  g.w.stop();
  EXPECT_GE(get(g.counters.removes), 2u);
  EXPECT_EQ(*read_text_file(fs.root() / "sys/bus/pci/rescan"), "1");
}

TEST(AgentWorkload, ReadersPauseAtMostEvery4ms) {
  VcpuYield y;
  const auto t0 = Clock::now();
  EXPECT_TRUE(y.after_work(t0)) << "the first unit of work pauses";
  EXPECT_FALSE(y.after_work(t0 + std::chrono::milliseconds(1)));
  EXPECT_FALSE(y.after_work(t0 + std::chrono::microseconds(3999)));
  EXPECT_TRUE(y.after_work(t0 + std::chrono::milliseconds(4)));
  EXPECT_FALSE(y.after_work(t0 + std::chrono::milliseconds(7)));
  EXPECT_TRUE(y.after_work(t0 + std::chrono::milliseconds(9)));
}

TEST(AgentWorkload, StopWithNothingRunningIsHarmless) {
  FakeSysfs fs;
  DeviceBoard board;
  Counters counters;
  Workload w(SysfsRoot{fs.root()}, board, counters, std::nullopt);
  EXPECT_FALSE(w.running());
  w.stop();
  EXPECT_FALSE(w.running());
}

TEST(AgentWorkload, WorkerStreamsFollowTheSeed) {
  auto a = Prng::for_worker(99, 1, 0), b = Prng::for_worker(99, 1, 0);
  auto c = Prng::for_worker(99, 1, 1), d = Prng::for_worker(100, 1, 0);
  bool differ_c = false, differ_d = false;
  for (int i = 0; i < 16; ++i) {
    auto x = a.next();
    EXPECT_EQ(x, b.next());
    differ_c |= x != c.next();
    differ_d |= x != d.next();
  }
  EXPECT_TRUE(differ_c);
  EXPECT_TRUE(differ_d);
}

TEST(AgentWorkload, AnUnexpectedFailureIsCountedAndToldOnce) {
  FakeSysfs fs;
  auto dir = fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000");
  // A `reset` that cannot be written (a directory): EISDIR, not a vanished device.
  std::filesystem::create_directories(dir / "reset");
  DeviceBoard board;
  Counters counters;
  board.publish(list_pci_devices(SysfsRoot{fs.root()}));
  ASSERT_TRUE(board.snapshot()->at(0).has_reset);
  std::mutex mu;
  std::vector<std::string> told;
  ErrorNotes notes([&](const std::string& m) {
    std::lock_guard lock(mu);
    told.push_back(m);
  });
  Workload w(SysfsRoot{fs.root()}, board, counters, std::nullopt, &notes);
  WorkloadSpec spec;
  spec.resetters = 1;
  w.start(spec);
  EXPECT_TRUE(eventually([&] { return get(counters.reset_errors) > 5; }));
  w.stop();
  EXPECT_EQ(get(counters.resets), 0u);
  EXPECT_EQ(get(counters.enodev), 0u);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0], std::string("reset: ") + std::strerror(EISDIR));
}

TEST(AgentWorkload, NotesIgnoreVanishedDevicesAndRepeats) {
  std::vector<std::string> told;
  ErrorNotes notes([&](const std::string& m) { told.push_back(m); });
  notes.note("reset", ENODEV);
  notes.note("reset", ENOENT);
  notes.note("reset", EIO);
  notes.note("reset", EIO);
  notes.note("rescan", EIO);
  EXPECT_EQ(told, (std::vector<std::string>{std::string("reset: ") + std::strerror(EIO),
                                            std::string("rescan: ") + std::strerror(EIO)}));
}
