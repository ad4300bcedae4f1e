// Device listing, events, port discovery and eligibility against a fake
// sysfs tree (real files in a temp dir).
#include <gtest/gtest.h>

#include "agent_port.hpp"
#include "eligibility.hpp"
#include "fake_sysfs.hpp"
#include "pci_devices.hpp"

using namespace pcirig::agent;
using pcirig::test::FakeSysfs;

TEST(AgentSysfs, ListsDevicesSortedWithDriverSlotAndCapabilities) {
  FakeSysfs fs;
  fs.add_device("0000:02:00.0", "0x8086", "0x10d3", "0x020000", "e1000e", 4096, /*reset=*/true);
  fs.add_device("0000:00:00.0", "0x8086", "0x29c0", "0x060000");
  fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000", "virtio-pci");
  fs.add_slot("3", "0000:02:00");
  FakeSysfs::write(fs.root() / "sys/bus/pci/devices/0000:01:00.0/iommu_group", "");

  auto devs = list_pci_devices(SysfsRoot{fs.root()});
  ASSERT_EQ(devs.size(), 3u);
  EXPECT_EQ(devs[0].bdf, "0000:00:00.0");
  EXPECT_FALSE(devs[0].driver.has_value());
  EXPECT_TRUE(devs[0].is_bridge());
  EXPECT_EQ(devs[1].driver, "virtio-pci");
  EXPECT_TRUE(devs[1].has_iommu_group);
  EXPECT_FALSE(devs[1].has_reset);
  EXPECT_EQ(devs[2].vendor_device(), "8086:10d3");
  EXPECT_EQ(devs[2].slot, "3");
  EXPECT_TRUE(devs[2].has_reset);

  auto j = to_json(devs[2]);
  EXPECT_EQ(j.dump(), R"({"bdf":"0000:02:00.0","vendor":"0x8086","device":"0x10d3","class":"0x020000","driver":"e1000e","slot":"3"})");
}

TEST(AgentSysfs, SkipsAFunctionHalfGone) {
  FakeSysfs fs;
  fs.add_device("0000:01:00.0", "0x1af4", "0x1041", "0x020000");
  auto dir = fs.add_device("0000:02:00.0", "0x1af4", "0x1042", "0x010000");
  std::filesystem::remove(dir / "class");  // as if removed between readdir and read
  auto devs = list_pci_devices(SysfsRoot{fs.root()});
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].bdf, "0000:01:00.0");
}

TEST(AgentSysfs, MissingTreeIsEmptyNotAnError) {
  EXPECT_TRUE(list_pci_devices(SysfsRoot{"/nonexistent-pcirig-root"}).empty());
}

TEST(AgentSysfs, DiffReportsAddsRemovesAndReplacements) {
  auto dev = [](std::string bdf, std::string device) {
    return PciDevice{std::move(bdf), "0x1af4", std::move(device), "0x020000", std::nullopt, std::nullopt};
  };
  std::vector<PciDevice> before{dev("0000:01:00.0", "0x1041"), dev("0000:02:00.0", "0x1041"), dev("0000:03:00.0", "0x1042")};
  std::vector<PciDevice> after{dev("0000:02:00.0", "0x1041"), dev("0000:03:00.0", "0x1001"), dev("0000:04:00.0", "0x1041")};
  // A driver (un)binding at the same address is not an event.
  after[0].driver = "virtio-pci";
  auto ev = diff_pci_devices(before, after);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kind, PciEvent::Kind::remove);
  EXPECT_EQ(ev[0].dev.bdf, "0000:01:00.0");
  EXPECT_EQ(ev[1].kind, PciEvent::Kind::remove);
  EXPECT_EQ(ev[1].dev.device, "0x1042");
  EXPECT_EQ(ev[2].kind, PciEvent::Kind::add);
  EXPECT_EQ(ev[2].dev.device, "0x1001");
  EXPECT_EQ(ev[3].kind, PciEvent::Kind::add);
  EXPECT_EQ(ev[3].dev.bdf, "0000:04:00.0");
  EXPECT_TRUE(diff_pci_devices(after, after).empty());
}

TEST(AgentSysfs, FindsThePortByNameAndItsController) {
  FakeSysfs fs;
  // The kernel's layout: class entry -> device dir, whose `device` link
  // leads to virtioN under the controller's PCI function.
  auto virtio = fs.root() / "sys/devices/pci0000:00/0000:00:02.0/virtio1";
  std::filesystem::create_directories(virtio / "virtio-ports/vport1p1");
  std::filesystem::create_directories(virtio / "virtio-ports/vport1p2");
  FakeSysfs::write(virtio / "virtio-ports/vport1p1/name", "org.other.0\n");
  FakeSysfs::write(virtio / "virtio-ports/vport1p2/name", "pcirig.0\n");
  for (const char* p : {"vport1p1", "vport1p2"}) {
    std::filesystem::create_symlink(virtio / "virtio-ports" / p, fs.root() / "sys/class/virtio-ports" / p);
    std::filesystem::create_symlink(virtio, virtio / "virtio-ports" / p / "device");
  }
  auto loc = find_virtio_port(SysfsRoot{fs.root()}, "pcirig.0");
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->dev_node, fs.root() / "dev/vport1p2");
  EXPECT_EQ(loc->pci_bdf, "0000:00:02.0");
  EXPECT_FALSE(find_virtio_port(SysfsRoot{fs.root()}, "pcirig.1").has_value());
}

TEST(AgentSysfs, BdfInPathTakesTheDeepestFunction) {
  EXPECT_EQ(pci_bdf_in_path("/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/virtio3"), "0000:01:00.0");
  EXPECT_FALSE(pci_bdf_in_path("/sys/devices/platform/serial8250").has_value());
}

TEST(AgentSysfs, MutatingWorkersSpareBridgesTheChipsetAndTheirOwnChannel) {
  auto dev = [](std::string bdf, std::string cls, std::string device = "0x1041") {
    return PciDevice{std::move(bdf), "0x1af4", std::move(device), std::move(cls), std::nullopt, std::nullopt};
  };
  EligibilityRules rules{std::string("0000:03:00.0"), std::nullopt};
  EXPECT_TRUE(may_mutate(dev("0000:01:00.0", "0x020000"), rules));
  EXPECT_FALSE(may_mutate(dev("0000:00:1f.2", "0x010601"), rules));   // on the root complex
  EXPECT_FALSE(may_mutate(dev("0000:05:00.0", "0x060400"), rules));   // a bridge (switch port)
  EXPECT_FALSE(may_mutate(dev("0000:03:00.0", "0x078000"), rules));   // the agent's virtio-serial
  rules.match = std::vector<std::string>{"1af4:1041"};
  EXPECT_TRUE(may_mutate(dev("0000:00:04.0", "0x020000"), rules));    // match may name bus 00
  EXPECT_FALSE(may_mutate(dev("0000:01:00.0", "0x020000", "0x1042"), rules));
  EXPECT_FALSE(may_mutate(dev("0000:03:00.0", "0x020000"), rules));   // never its own channel
}
