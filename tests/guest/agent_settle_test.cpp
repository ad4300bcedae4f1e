// Storage settling (settle.hpp) against a fake /sys/class/nvme and /sys/block: an nvme
// controller not yet live, one with no namespace, I/O in flight, I/O between looks.
#include <gtest/gtest.h>

#include <thread>

#include "fake_sysfs.hpp"
#include "settle.hpp"

using namespace pcirig::agent;
using pcirig::test::FakeSysfs;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// /sys/block/NAME as the kernel lays it out: a symlink into the device tree.
fs::path add_disk(const FakeSysfs& f, const std::string& name, const std::string& under) {
  fs::path dev = f.root() / "sys/devices" / under / name;
  FakeSysfs::write(dev / "inflight", "       0        0\n");
  FakeSysfs::write(dev / "stat", "      10        0      80        3        0        0        0        0        0        4        3\n");
  fs::create_directories(f.root() / "sys/block");
  fs::create_symlink("../devices/" + under + "/" + name, f.root() / "sys/block" / name);
  return dev;
}

fs::path add_nvme(const FakeSysfs& f, const std::string& ctrl, const std::string& state, bool with_ns) {
  fs::path dir = f.root() / "sys/class/nvme" / ctrl;
  FakeSysfs::write(dir / "state", state + "\n");
  if (with_ns) fs::create_directories(dir / (ctrl + "n1"));
  return dir;
}

}  // namespace

TEST(AgentSettle, NoStorageSettlesAfterOneQuietInterval) {
  FakeSysfs f;
  auto r = settle_storage(SysfsRoot{f.root()}, 2000ms, 20ms, 20ms);
  EXPECT_TRUE(r.settled);
  EXPECT_EQ(r.looks, 2);
  EXPECT_TRUE(r.busy.empty());
}

TEST(AgentSettle, ALiveControllerWithItsNamespaceAndIdleDisksIsSettled) {
  FakeSysfs f;
  add_nvme(f, "nvme0", "live", true);
  add_disk(f, "nvme0n1", "pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0");
  add_disk(f, "loop0", "virtual/block");  // not PCI: never looked at
  FakeSysfs::write(f.root() / "sys/devices/virtual/block/loop0/inflight", "1 0\n");
  auto look = look_at_storage(SysfsRoot{f.root()});
  EXPECT_TRUE(look.busy.empty());
  EXPECT_NE(look.activity.find("nvme0n1"), std::string::npos);
  EXPECT_EQ(look.activity.find("loop0"), std::string::npos);
  EXPECT_TRUE(settle_storage(SysfsRoot{f.root()}, 2000ms, 20ms).settled);
}

TEST(AgentSettle, AControllerStillResettingOrWithoutNamespaceIsBusyUntilTheLimit) {
  FakeSysfs f;
  add_nvme(f, "nvme0", "connecting", false);
  add_nvme(f, "nvme1", "live", false);
  auto look = look_at_storage(SysfsRoot{f.root()});
  ASSERT_EQ(look.busy.size(), 2u);
  auto r = settle_storage(SysfsRoot{f.root()}, 100ms, 20ms);
  EXPECT_FALSE(r.settled);
  EXPECT_GE(r.waited_ms, 100);
  ASSERT_EQ(r.busy.size(), 2u);
  EXPECT_EQ(r.busy[0].rfind("nvme", 0), 0u);
}

TEST(AgentSettle, SettlesOnceTheControllerGoesLiveAndItsScanEnds) {
  FakeSysfs f;
  auto ctrl = add_nvme(f, "nvme0", "connecting", false);
  std::thread probe([&] {
    std::this_thread::sleep_for(60ms);
    FakeSysfs::write(ctrl / "state", "live\n");
    fs::create_directories(ctrl / "nvme0n1");
    auto disk = add_disk(f, "nvme0n1", "pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0");
    FakeSysfs::write(disk / "inflight", "1 0\n");  // the partition-table read
    std::this_thread::sleep_for(60ms);
    FakeSysfs::write(disk / "inflight", "0 0\n");
  });
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, 20ms);
  probe.join();
  EXPECT_TRUE(r.settled);
  EXPECT_GE(r.waited_ms, 120);
}

TEST(AgentSettle, IoBetweenTwoLooksIsNotQuiet) {
  FakeSysfs f;
  auto disk = add_disk(f, "vda", "pci0000:00/0000:00:03.0/virtio2/block");
  auto a = look_at_storage(SysfsRoot{f.root()});
  FakeSysfs::write(disk / "stat", "      11        0      88        3        0        0        0        0        0        5        4\n");
  auto b = look_at_storage(SysfsRoot{f.root()});
  EXPECT_TRUE(a.busy.empty() && b.busy.empty());
  EXPECT_NE(a.activity, b.activity);
}

TEST(AgentSettle, ADiskNotReadYetIsBusyUntilItsPartitionScanReadsIt) {
  FakeSysfs f;
  add_nvme(f, "nvme0", "live", true);
  auto disk = add_disk(f, "nvme0n1", "pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0");
  FakeSysfs::write(disk / "size", "2048\n");
  FakeSysfs::write(disk / "stat", "       0        0       0        0        0        0        0        0        0        0        0\n");
  auto look = look_at_storage(SysfsRoot{f.root()});
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "nvme0n1: partition scan to come");
  std::thread scan([&] {
    std::this_thread::sleep_for(50ms);
    FakeSysfs::write(disk / "stat", "       1        0       8        0        0        0        0        0        0        1        0\n");
  });
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, 30ms, 10ms);
  scan.join();
  EXPECT_TRUE(r.settled);
  EXPECT_GE(r.waited_ms, 80);  // the read at 50 ms, then 30 ms without a change
}

TEST(AgentSettle, AnEmptyDiskIsNeverWaitedFor) {
  FakeSysfs f;
  auto disk = add_disk(f, "vdb", "pci0000:00/0000:00:03.0/virtio2/block");
  FakeSysfs::write(disk / "size", "0\n");
  FakeSysfs::write(disk / "stat", "0 0 0 0 0 0 0 0 0 0 0\n");
  EXPECT_TRUE(look_at_storage(SysfsRoot{f.root()}).busy.empty());
}

TEST(AgentSettle, IoThatKeepsComingIsNotQuietUntilItStops) {
  FakeSysfs f;
  auto disk = add_disk(f, "vda", "pci0000:00/0000:00:03.0/virtio2/block");
  std::thread io([&] {
    for (int i = 1; i <= 8; i++) {
      std::this_thread::sleep_for(15ms);
      FakeSysfs::write(disk / "stat", std::to_string(10 + i) + " 0 80 3 0 0 0 0 0 4 3\n");
    }
  });
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, 40ms, 10ms);
  io.join();
  EXPECT_TRUE(r.settled);
  EXPECT_GE(r.waited_ms, 8 * 15 + 40 - 10);  // the last change, then the quiet (less one look's slack)
}
