// QEMU's command line from a topology.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/topology.hpp"
#include "qemu/cmdline.hpp"

using namespace pcirig;

namespace {
bool has_pair(const std::vector<std::string>& a, const std::string& opt, const std::string& val) {
  for (size_t i = 0; i + 1 < a.size(); i++)
    if (a[i] == opt && a[i + 1] == val) return true;
  return false;
}
bool has_pair_prefix(const std::vector<std::string>& a, const std::string& opt, const std::string& prefix) {
  for (size_t i = 0; i + 1 < a.size(); i++)
    if (a[i] == opt && a[i + 1].rfind(prefix, 0) == 0) return true;
  return false;
}
LaunchSpec spec() {
  LaunchSpec s;
  s.kernel = "/k/vmlinux";
  s.initramfs = "/k/initramfs.cpio.gz";
  s.qmp_socket = "/tmp/x/qmp.sock";
  s.console_socket = "/tmp/x/con.sock";
  s.agent_socket = "/tmp/x/agent.sock";
  s.disk_dir = "/run/disks";
  return s;
}
}  // namespace

TEST(Cmdline, DefaultTopology) {
  Topology t = load_default_topology();
  auto a = qemu_argv(t, spec());
  EXPECT_EQ(a[0], "qemu-system-x86_64");
  EXPECT_TRUE(has_pair(a, "-machine", "q35"));
  EXPECT_TRUE(has_pair(a, "-accel", "tcg,thread=single"));
  EXPECT_TRUE(has_pair(a, "-nic", "none"));
  for (const char* f : {"-no-reboot", "-nographic", "-nodefaults"}) EXPECT_NE(std::find(a.begin(), a.end(), f), a.end()) << f;
  EXPECT_TRUE(has_pair(a, "-kernel", "/k/vmlinux"));
  EXPECT_TRUE(has_pair(a, "-chardev", "socket,id=qmp,path=/tmp/x/qmp.sock"));
  EXPECT_TRUE(has_pair(a, "-mon", "chardev=qmp,mode=control"));
  EXPECT_TRUE(has_pair(a, "-serial", "chardev:con"));
  EXPECT_TRUE(has_pair(a, "-device", "virtserialport,bus=vser.0,chardev=agent,name=pcirig.0"));
  EXPECT_TRUE(has_pair(a, "-device", "pcie-root-port,id=rp3,bus=pcie.0,chassis=1,slot=3"));
  // ACPI flavour: no native override; no IOMMU.
  EXPECT_FALSE(has_pair(a, "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"));
  EXPECT_FALSE(has_pair_prefix(a, "-device", "intel-iommu"));
  EXPECT_TRUE(has_pair(a, "-bios", "qboot.rom")) << "qboot by default";
  // nvme0 is cold-plugged with a -blockdev node. The storm's slots get only backing
  // files: each plugged block device gets a node of its own over QMP.
  EXPECT_TRUE(has_pair(a, "-device", "nvme,bus=rp2,drive=disk-nvme0,id=nvme0,serial=nvme0"));
  EXPECT_TRUE(has_pair(a, "-blockdev", "driver=raw,file=disk-nvme0-file,node-name=disk-nvme0"));
  EXPECT_TRUE(has_pair(a, "-blockdev", "driver=file,filename=/run/disks/nvme0.img,node-name=disk-nvme0-file"));
  EXPECT_EQ(std::count(a.begin(), a.end(), "-blockdev"), 2);
  auto files = disk_files(t, "/run/disks");
  EXPECT_EQ(files.size(), 3u);
  EXPECT_EQ(files.at("/run/disks/slot-rp4.img"), 8);
  auto node = blockdev_add_args("disk-rp4-blk-3", slot_disk_file("/run/disks", "rp4"));
  EXPECT_EQ(node["node-name"], "disk-rp4-blk-3");
  EXPECT_EQ(node["file"]["filename"], "/run/disks/slot-rp4.img");
  EXPECT_EQ(node["file"]["locking"], "off");
  auto append = std::find(a.begin(), a.end(), "-append");
  ASSERT_NE(append, a.end());
  for (const char* p : {"console=ttyS0", "panic_on_warn=1", "oops=panic", "panic=-1", "cryptomgr.notests", " lpj=", " tsc=reliable"})
    EXPECT_NE(append[1].find(p), std::string::npos) << p;
  // NICs boot without an option ROM; a template's own romfile= is kept.
  EXPECT_TRUE(has_pair(a, "-device", "virtio-net-pci,bus=rp1,id=net0,romfile="));
  Topology own = load_topology_text("templates: {nic: {driver: e1000e, props: {romfile: efi-e1000e.rom}}}\n", "t.yaml");
  EXPECT_EQ(device_add_args(*own.find_template("nic"), "n", "rp3", "")["romfile"], "efi-e1000e.rom");
}

TEST(Cmdline, NativeKvmIommuSwitch) {
  Topology t = load_topology_text(R"(
machine: {accel: kvm, iommu: true, firmware: seabios}
kernel: {cmdline: "foo=1"}
topology:
  root_ports: [{id: rp1, slot: 1}]
  switches:
    - {id: sw1, bus: rp1, downstream: [{id: dp1, slot: 5}, {id: dp2, slot: 6, hotplug: false}]}
templates: {blk: {driver: virtio-blk-pci, props: {num-queues: "1"}}}
hotplug: {flavour: native, slots: [dp1]}
)",
                                  "t.yaml");
  LaunchSpec s = spec();
  s.accel = "kvm";
  auto a = qemu_argv(t, s);
  EXPECT_TRUE(has_pair(a, "-accel", "kvm"));
  EXPECT_TRUE(has_pair(a, "-machine", "q35,kernel-irqchip=split"));
  EXPECT_TRUE(has_pair(a, "-cpu", "host"));
  EXPECT_FALSE(has_pair(a, "-bios", "qboot.rom"));
  t.firmware = "qboot";
  EXPECT_TRUE(has_pair(qemu_argv(t, s), "-bios", "qboot.rom"));
  EXPECT_TRUE(has_pair(a, "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"));
  EXPECT_TRUE(has_pair(a, "-device", "intel-iommu,intremap=on"));
  EXPECT_TRUE(has_pair(a, "-device", "x3130-upstream,id=sw1,bus=rp1"));
  EXPECT_TRUE(has_pair(a, "-device", "xio3130-downstream,id=dp2,bus=sw1,chassis=1,slot=6,hotplug=off"));
  auto append = std::find(a.begin(), a.end(), "-append");
  EXPECT_NE(append[1].find("intel_iommu=on"), std::string::npos);
  EXPECT_NE(append[1].find(" foo=1"), std::string::npos);
  // The IOMMU must come before the PCI devices it translates for.
  auto iommu = std::find(a.begin(), a.end(), "intel-iommu,intremap=on");
  auto port = std::find(a.begin(), a.end(), "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1");
  EXPECT_LT(iommu, port);
  auto args = device_add_args(*t.find_template("blk"), "dp1-blk-1", "dp1", disk_node_for_device("dp1-blk-1"));
  EXPECT_EQ(args["driver"], "virtio-blk-pci");
  EXPECT_EQ(args["drive"], "disk-dp1-blk-1");
  EXPECT_EQ(args["num-queues"], "1");
}

TEST(Cmdline, MultiThreadTcgOnlyWhenAsked) {
  Topology t = load_topology_text("machine: {tcg_thread: multi}\n", "t.yaml");
  EXPECT_TRUE(has_pair(qemu_argv(t, spec()), "-accel", "tcg,thread=multi"));
}
