// Boots the real Debian guest image under QEMU (no orchestrator) and drives
// the agent over its virtio-serial port. Slow: a TCG boot takes seconds.
#include <gtest/gtest.h>

#include "qemu_guest.hpp"

using namespace std::chrono_literals;
using pcirig::test::GuestOptions;
using pcirig::test::QemuGuest;
using nlohmann::json;

namespace {

// TCG boot to READY is ~3.5 s here; a loaded 2-core machine can be much slower.
constexpr auto kBootLimit = 90s;

json expect_reply(QemuGuest& g, int id, std::chrono::seconds limit = 10s) {
  for (;;) {
    auto m = g.wait_for("reply", limit);
    if (!m) {
      ADD_FAILURE() << "no reply to command " << id << "\nconsole:\n" << g.console_tail();
      return json();
    }
    if ((*m)["id"] == id) return *m;
  }
}

}  // namespace

TEST(GuestBoot, AgentSaysReadyStreamsReadsAndStops) {
  QemuGuest g(GuestOptions{});
  auto ready = g.wait_for("ready", kBootLimit);
  ASSERT_TRUE(ready) << "no ready from the agent\nconsole:\n" << g.console_tail();
  EXPECT_EQ((*ready)["kernel"], g.image()["kernel_release"]);
  EXPECT_EQ((*ready)["cpus"], 2);
  ASSERT_FALSE((*ready)["devices"].empty());
  EXPECT_NE(g.console().find("pcirig: READY"), std::string::npos);
  // /init must have loaded every module it carries.
  EXPECT_EQ(g.console().find("insmod"), std::string::npos) << g.console_tail();

  g.send({{"type", "workload"}, {"id", 1}, {"seed", 1}, {"readers", 1}});
  auto r1 = expect_reply(g, 1);
  EXPECT_EQ(r1["ok"], true) << r1.dump();

  std::optional<json> stats;
  for (int i = 0; i < 5; ++i) {
    stats = g.wait_for("stats", 5s);
    ASSERT_TRUE(stats) << "no stats\nconsole:\n" << g.console_tail();
    if ((*stats)["config_reads"].get<std::uint64_t>() > 0) break;
  }
  EXPECT_GT((*stats)["config_reads"].get<std::uint64_t>(), 0u) << stats->dump();
  EXPECT_GT((*stats)["config_bytes"].get<std::uint64_t>(), (*stats)["config_reads"].get<std::uint64_t>());
  EXPECT_EQ((*stats)["read_errors"], 0);

  g.send({{"type", "stop"}, {"id", 2}});
  EXPECT_EQ(expect_reply(g, 2)["ok"], true);
  // Stopped means stopped: the next two stats carry the same count.
  auto s1 = g.wait_for("stats", 5s), s2 = g.wait_for("stats", 5s);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ((*s1)["config_reads"], (*s2)["config_reads"]);

  // exec runs a program in the guest and returns its output.
  g.send({{"type", "exec"}, {"id", 4}, {"argv", {"cat", "/proc/sys/kernel/osrelease"}}});
  auto r4 = expect_reply(g, 4);
  EXPECT_EQ(r4["ok"], true) << r4.dump();
  EXPECT_EQ(r4["output"], g.image()["kernel_release"].get<std::string>() + "\n");
  g.send({{"type", "exec"}, {"id", 5}, {"argv", {"/no/such/program"}}});
  auto r5 = expect_reply(g, 5);
  EXPECT_EQ(r5["ok"], false) << r5.dump();

  g.send({{"type", "bogus"}, {"id", 3}});
  auto r3 = expect_reply(g, 3);
  EXPECT_EQ(r3["ok"], false);
  EXPECT_NE(r3["error"].get<std::string>().find("unknown command type"), std::string::npos);
}

TEST(GuestBoot, MutatingWorkersAndSlotPowerOnAHotPluggableDevice) {
  GuestOptions opt;
  // One root port with an e1000e (resets via FLR-less bus reset, ~37/s).
  opt.extra_args = {"-device", "pcie-root-port,id=rp1,chassis=1,slot=1", "-device", "e1000e,bus=rp1,id=nic1"};
  QemuGuest g(opt);
  auto ready = g.wait_for("ready", kBootLimit);
  ASSERT_TRUE(ready) << "no ready\nconsole:\n" << g.console_tail();
  std::optional<json> nic;
  for (const auto& d : (*ready)["devices"])
    if (d["vendor"] == "0x8086" && d["device"] == "0x10d3") nic = d;
  ASSERT_TRUE(nic) << ready->dump();
  ASSERT_FALSE((*nic)["slot"].is_null()) << "the root port's slot is not in sysfs: " << nic->dump();

  g.send({{"type", "workload"}, {"id", 1}, {"seed", 5}, {"readers", 1}, {"resetters", 1},
          {"rescanners", 1}, {"binders", 1}, {"reset_interval_ms", 0}});
  EXPECT_EQ(expect_reply(g, 1)["ok"], true);
  json last;
  for (int i = 0; i < 30; ++i) {
    auto s = g.wait_for("stats", 5s);
    ASSERT_TRUE(s) << "no stats\nconsole:\n" << g.console_tail();
    last = *s;
    if (last["resets"] > 0 && last["rescans"] > 0 && last["binds"] > 0) break;
  }
  EXPECT_GT(last["resets"], 0) << last.dump();
  EXPECT_GT(last["rescans"], 0) << last.dump();
  EXPECT_GT(last["binds"], 0) << last.dump();
  EXPECT_GT(last["config_reads"], 0) << last.dump();
  g.send({{"type", "stop"}, {"id", 2}});
  EXPECT_EQ(expect_reply(g, 2, 30s)["ok"], true);

  // Power the slot off from the guest: the NIC goes and the agent says so.
  g.send({{"type", "slot_power"}, {"id", 3}, {"slot", (*nic)["slot"]}, {"on", false}});
  auto r3 = expect_reply(g, 3, 30s);
  EXPECT_EQ(r3["ok"], true) << r3.dump();
  bool removed = false;
  for (int i = 0; i < 50 && !removed; ++i) {
    auto ev = g.wait_for("pci", 10s);
    if (!ev) break;
    removed = (*ev)["event"] == "remove" && (*ev)["dev"]["bdf"] == (*nic)["bdf"];
  }
  EXPECT_TRUE(removed) << "no pci remove event for " << (*nic)["bdf"] << "\nconsole:\n" << g.console_tail();
  EXPECT_EQ(g.console().find("BUG"), std::string::npos) << g.console_tail();
}

TEST(GuestBoot, VfioCyclesWithAnEmulatedIommu) {
  GuestOptions opt;
  // Debian's kernel has no no-IOMMU vfio: the vfio topology adds intel-iommu.
  opt.extra_args = {"-device", "intel-iommu", "-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
                    "-device", "e1000e,bus=rp1,id=nic1"};
  opt.extra_append = "intel_iommu=on";
  QemuGuest g(opt);
  auto ready = g.wait_for("ready", kBootLimit);
  ASSERT_TRUE(ready) << "no ready\nconsole:\n" << g.console_tail();
  g.send({{"type", "workload"}, {"id", 1}, {"seed", 3}, {"readers", 1}, {"vfio", 1}, {"match", {"8086:10d3"}}});
  EXPECT_EQ(expect_reply(g, 1)["ok"], true);
  json last;
  for (int i = 0; i < 30; ++i) {
    auto s = g.wait_for("stats", 5s);
    ASSERT_TRUE(s) << "no stats\nconsole:\n" << g.console_tail();
    last = *s;
    if (last["vfio_cycles"] >= 2) break;
  }
  EXPECT_GE(last["vfio_cycles"], 2) << last.dump() << "\nconsole:\n" << g.console_tail();
  EXPECT_EQ(last["vfio_errors"], 0) << last.dump();
  g.send({{"type", "stop"}, {"id", 2}});
  EXPECT_EQ(expect_reply(g, 2, 30s)["ok"], true);
  // Each cycle hands the NIC back: after stop it is on e1000e again.
  g.send({{"type", "devices"}, {"id", 3}});
  auto r3 = expect_reply(g, 3);
  bool back = false;
  for (const auto& d : r3["devices"])
    if (d["device"] == "0x10d3") back = d["driver"] == "e1000e";
  EXPECT_TRUE(back) << r3.dump();
}
