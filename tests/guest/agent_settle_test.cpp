// Storage settling (settle.hpp) against a fake /sys/class/nvme and /sys/block: an nvme
// controller not yet live, one with no namespace, I/O in flight, I/O between looks.
#include <gtest/gtest.h>

#include <thread>

#include "disk_announcements.hpp"
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
  auto r = settle_storage(SysfsRoot{f.root()}, 2000ms, nullptr, 20ms, 20ms);
  EXPECT_TRUE(r.settled);
  EXPECT_EQ(r.looks, 2);
  EXPECT_TRUE(r.busy.empty());
}

// With announcements, nothing to wait for is known at once.
TEST(AgentSettle, NoStorageWithAnnouncementsIsSettledAtTheFirstLook) {
  FakeSysfs f;
  DiskAnnouncements disks;
  auto r = settle_storage(SysfsRoot{f.root()}, 2000ms, &disks, 20ms, 20ms);
  EXPECT_TRUE(r.settled);
  EXPECT_STREQ(r.by, "announcements");
  EXPECT_EQ(r.looks, 1);
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
  EXPECT_TRUE(settle_storage(SysfsRoot{f.root()}, 2000ms, nullptr, 20ms).settled);
}

TEST(AgentSettle, AControllerStillResettingOrWithoutNamespaceIsBusyUntilTheLimit) {
  FakeSysfs f;
  add_nvme(f, "nvme0", "connecting", false);
  add_nvme(f, "nvme1", "live", false);
  auto look = look_at_storage(SysfsRoot{f.root()});
  ASSERT_EQ(look.busy.size(), 2u);
  auto r = settle_storage(SysfsRoot{f.root()}, 100ms, nullptr, 20ms);
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
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, nullptr, 20ms);
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
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, nullptr, 30ms, 10ms);
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
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, nullptr, 40ms, 10ms);
  io.join();
  EXPECT_TRUE(r.settled);
  EXPECT_GE(r.waited_ms, 8 * 15 + 40 - 10);  // the last change, then the quiet (less one look's slack)
}

// With the kernel's announcements (disk_announcements.hpp): a disk's add uevent comes
// after its partition scan, so settle needs no calm for the disks it announced.
namespace {
Uevent disk_event(std::string_view action, std::string_view name) {
  Uevent u;
  u.action = action, u.subsystem = "block", u.devtype = "disk", u.devname = name;
  return u;
}
const std::string kNvmeDev = "pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0";
}  // namespace

TEST(AgentSettle, ADiskThatCameAfterTheWatchIsBusyUntilAnnouncedThenSettledWithoutCalm) {
  FakeSysfs f;
  DiskAnnouncements disks;
  disks.baseline(present_disks(SysfsRoot{f.root()}), {});
  add_nvme(f, "nvme0", "live", true);
  add_disk(f, "nvme0n1", kNvmeDev);  // read 10 times already: mid-scan, by its counters alone
  auto look = look_at_storage(SysfsRoot{f.root()}, &disks);
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "nvme0n1: partition scan to come");
  std::thread scan([&] {
    std::this_thread::sleep_for(50ms);
    disks.note(disk_event("add", "nvme0n1"));
  });
  // A calm of 10 s could not have been met: only the announcement can settle this.
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, &disks, 10000ms, 10ms);
  scan.join();
  EXPECT_TRUE(r.settled);
  EXPECT_STREQ(r.by, "announcements");
  EXPECT_GE(r.waited_ms, 50);
  EXPECT_EQ(disks.known("nvme0n1"), DiskAnnouncements::Known::announced);
}

TEST(AgentSettle, ANamespaceNotUnderSysBlockYetIsBusyUntilAnnounced) {
  FakeSysfs f;
  DiskAnnouncements disks;
  add_nvme(f, "nvme0", "live", true);  // nvme0/nvme0n1 exists, /sys/block/nvme0n1 not yet
  auto look = look_at_storage(SysfsRoot{f.root()}, &disks);
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "nvme0n1: partition scan to come");
  disks.note(disk_event("add", "nvme0n1"));
  EXPECT_TRUE(look_at_storage(SysfsRoot{f.root()}, &disks).busy.empty());
}

TEST(AgentSettle, DisksFromBeforeTheWatchNeedTheCalmOnceThenAreVouchedFor) {
  FakeSysfs f;
  add_disk(f, "vda", "pci0000:00/0000:00:03.0/virtio2/block");
  DiskAnnouncements disks;
  disks.baseline(present_disks(SysfsRoot{f.root()}), {});
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, &disks, 30ms, 10ms);
  EXPECT_TRUE(r.settled);
  EXPECT_STREQ(r.by, "calm");
  EXPECT_GE(r.looks, 2);
  // The calm vouched for vda: a later settle (after a snapshot restore) needs none.
  auto again = settle_storage(SysfsRoot{f.root()}, 5000ms, &disks, 10000ms, 10ms);
  EXPECT_TRUE(again.settled);
  EXPECT_STREQ(again.by, "announcements");
  EXPECT_EQ(again.looks, 1);
}

TEST(AgentSettle, InFlightIoKeepsAnAnnouncedDiskBusy) {
  FakeSysfs f;
  DiskAnnouncements disks;
  auto disk = add_disk(f, "nvme0n1", kNvmeDev);
  disks.note(disk_event("add", "nvme0n1"));
  FakeSysfs::write(disk / "inflight", "0 1\n");
  auto look = look_at_storage(SysfsRoot{f.root()}, &disks);
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "nvme0n1: I/O in flight");
}

TEST(AgentSettle, AHiddenMultipathDiskIsNotWaitedFor) {
  FakeSysfs f;
  DiskAnnouncements disks;
  auto disk = add_disk(f, "nvme0c0n1", kNvmeDev);
  FakeSysfs::write(disk / "hidden", "1\n");  // never announced, never scanned
  EXPECT_TRUE(look_at_storage(SysfsRoot{f.root()}, &disks).busy.empty());
}

TEST(AgentSettleAnnouncements, AddRemoveLostAndBaseline) {
  using K = DiskAnnouncements::Known;
  DiskAnnouncements d;
  d.baseline({"vda"}, {"0000:00:03.0"});
  EXPECT_EQ(d.known("vda"), K::before_watch);
  EXPECT_EQ(d.known("nvme0n1"), K::unannounced);
  d.note(disk_event("add", "nvme0n1"));
  EXPECT_EQ(d.known("nvme0n1"), K::announced);
  // A partition's add, another subsystem's and a change are not a disk's announcement.
  Uevent part = disk_event("add", "vdb1");
  part.devtype = "partition";
  d.note(part);
  Uevent net = disk_event("add", "vdb");
  net.subsystem = "net";
  d.note(net);
  d.note(disk_event("change", "vdb"));
  EXPECT_EQ(d.known("vdb1"), K::unannounced);
  EXPECT_EQ(d.known("vdb"), K::unannounced);
  // Removed: the next disk of that name is a new one, from before the watch or not.
  d.note(disk_event("remove", "nvme0n1"));
  d.note(disk_event("remove", "vda"));
  EXPECT_EQ(d.known("nvme0n1"), K::unannounced);
  EXPECT_EQ(d.known("vda"), K::unannounced);
  d.note(disk_event("add", "cciss/c0d0"));
  EXPECT_EQ(d.known("cciss!c0d0"), K::announced);
  EXPECT_FALSE(d.pci_came_after_watch("0000:00:03.0"));
  EXPECT_TRUE(d.pci_came_after_watch("0000:03:00.0"));
  Uevent gone;
  gone.action = "remove", gone.subsystem = "pci", gone.devpath = "/devices/pci0000:00/0000:00:03.0";
  d.note(gone);
  EXPECT_TRUE(d.pci_came_after_watch("0000:00:03.0"));  // a function there now is a new one
  d.lost();
  EXPECT_EQ(d.known("nvme0n1"), K::before_watch);
  EXPECT_EQ(d.known("cciss!c0d0"), K::announced);
}

// The rig asks for settle once the agent reports the plugged function, which can be
// before a driver has bound: nvme's controller is not even in /sys/class/nvme yet.
TEST(AgentSettle, AStorageFunctionThatCameWithoutADriverYetIsBusyUntilBound) {
  FakeSysfs f;
  f.add_device("0000:00:01.0", "0x1af4", "0x1041", "0x020000", "virtio-pci");
  f.add_device("0000:00:05.0", "0x1b36", "0x0010", "0x010802");  // there before the watch: never waited for
  DiskAnnouncements disks;
  disks.baseline({}, {"0000:00:01.0", "0000:00:05.0"});
  auto dev = f.add_device("0000:03:00.0", "0x1b36", "0x0010", "0x010802");
  f.add_device("0000:04:00.0", "0x8086", "0x10d3", "0x020000");  // not storage
  auto look = look_at_storage(SysfsRoot{f.root()}, &disks);
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "0000:03:00.0: storage function without a driver yet");
  fs::create_directories(f.root() / "sys/bus/pci/drivers/nvme");
  fs::create_symlink("../../drivers/nvme", dev / "driver");
  add_nvme(f, "nvme0", "connecting", false);
  look = look_at_storage(SysfsRoot{f.root()}, &disks);
  ASSERT_EQ(look.busy.size(), 1u);
  EXPECT_EQ(look.busy[0], "nvme0: state connecting");
}

// A bind's uevent wakes a settle waiting on the function: looks can be sparse.
TEST(AgentSettle, ABindUeventEndsTheWaitBeforeTheNextLookIsDue) {
  FakeSysfs f;
  DiskAnnouncements disks;
  disks.baseline({}, {});
  auto dev = f.add_device("0000:03:00.0", "0x1af4", "0x1042", "0x010000");  // virtio-blk, no driver yet
  std::thread bind([&] {
    std::this_thread::sleep_for(50ms);
    fs::create_directories(f.root() / "sys/bus/pci/drivers/virtio-pci");
    fs::create_symlink("../../drivers/virtio-pci", dev / "driver");
    Uevent u;
    u.action = "bind", u.subsystem = "pci", u.devpath = "/devices/pci0000:00/0000:00:02.0/0000:03:00.0";
    disks.note(u);
  });
  // Looks 10 s apart and a limit of 5 s: only the uevent can end this settled.
  auto r = settle_storage(SysfsRoot{f.root()}, 5000ms, &disks, 50ms, 10000ms);
  bind.join();
  EXPECT_TRUE(r.settled);
  EXPECT_STREQ(r.by, "announcements");
  EXPECT_EQ(r.looks, 2);
}
