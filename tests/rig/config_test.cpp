// The YAML loader: every error kind names file:line:column and the key; shipped
// configs load; the resolved YAML written to a run loads back to the same topology.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/topology.hpp"

using namespace pcirig;

namespace {
ConfigError load_error(const std::string& yaml) {
  try {
    load_topology_text(yaml, "t.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "config was accepted:\n" << yaml;
  return ConfigError("", 0, 0, "", "");
}

const char* kBase = R"(topology:
  root_ports:
    - {id: rp1, slot: 1}
    - {id: rp2, slot: 2}
templates:
  net: {driver: virtio-net-pci}
)";
}  // namespace

TEST(Config, UnknownKeyNamesFileLineColumnAndKey) {
  auto e = load_error("machine:\n  vcpus: 2\n  memroy_mb: 512\n");
  EXPECT_EQ(e.file, "t.yaml");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 3);
  EXPECT_EQ(e.key, "machine.memroy_mb");
  EXPECT_NE(std::string(e.what()).find("t.yaml:3:3: key 'machine.memroy_mb': unknown key"), std::string::npos) << e.what();
}

TEST(Config, UnknownTopLevelKey) {
  auto e = load_error("machine: {vcpus: 2}\nhotplugs: {}\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 1);
  EXPECT_EQ(e.key, "hotplugs");
}

TEST(Config, WrongTypeInteger) {
  auto e = load_error("machine:\n  vcpus: two\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 10);
  EXPECT_EQ(e.key, "machine.vcpus");
  EXPECT_NE(e.message.find("expected an integer"), std::string::npos);
}

TEST(Config, WrongTypeListWhereMapExpected) {
  auto e = load_error("machine: [1, 2]\n");
  EXPECT_EQ(e.key, "machine");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 10);
}

TEST(Config, WrongTypeBool) {
  auto e = load_error("machine: {iommu: maybe}\n");
  EXPECT_EQ(e.key, "machine.iommu");
}

TEST(Config, OutOfRange) {
  auto e = load_error("machine: {vcpus: 0}\n");
  EXPECT_EQ(e.key, "machine.vcpus");
  EXPECT_NE(e.message.find("out of range"), std::string::npos);
}

TEST(Config, BadEnum) {
  auto e = load_error("machine: {accel: xen}\n");
  EXPECT_EQ(e.key, "machine.accel");
  EXPECT_NE(e.message.find("auto, kvm, tcg"), std::string::npos);
}

TEST(Config, BusThatDoesNotExist) {
  auto e = load_error(std::string(kBase) + "devices:\n  - {id: a, template: net, bus: rp9}\n");
  EXPECT_EQ(e.key, "devices.bus");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 33);
  EXPECT_NE(e.message.find("no port 'rp9'"), std::string::npos);
}

TEST(Config, TwoDevicesInOneSlot) {
  auto e = load_error(std::string(kBase) +
                      "devices:\n  - {id: a, template: net, bus: rp1}\n  - {id: b, template: net, bus: rp1}\n");
  EXPECT_EQ(e.key, "devices.bus");
  EXPECT_EQ(e.line, 9);
  EXPECT_NE(e.message.find("already holds 'a'"), std::string::npos);
}

TEST(Config, HotplugSlotAlreadyHoldsADevice) {
  auto e = load_error(std::string(kBase) + "devices:\n  - {id: a, template: net, bus: rp1}\nhotplug: {slots: [rp1]}\n");
  EXPECT_EQ(e.key, "hotplug.slots");
  EXPECT_EQ(e.line, 9);
}

TEST(Config, SwitchOnMissingRootPort) {
  auto e = load_error(std::string(kBase) + "  switches:\n    - {id: sw, bus: rpX, downstream: [{id: d1, slot: 9}]}\n");
  // kBase ends with templates:, so "switches" lands under templates: a template without driver.
  EXPECT_FALSE(e.key.empty());
  auto e2 = load_error(
      "topology:\n  root_ports:\n    - {id: rp1, slot: 1}\n  switches:\n    - {id: sw, bus: rpX, downstream: [{id: d1, slot: 9}]}\n");
  EXPECT_EQ(e2.key, "topology.switches.bus");
  EXPECT_EQ(e2.line, 5);
}

TEST(Config, DuplicateSlotNumber) {
  auto e = load_error("topology:\n  root_ports:\n    - {id: rp1, slot: 1}\n    - {id: rp2, slot: 1}\n");
  EXPECT_EQ(e.key, "topology.root_ports.slot");
  EXPECT_EQ(e.line, 4);
}

TEST(Config, UnknownDriver) {
  auto e = load_error("templates:\n  x: {driver: rtl8139}\n");
  EXPECT_EQ(e.key, "templates.x.driver");
  EXPECT_EQ(e.line, 2);
}

TEST(Config, BadDuration) {
  auto e = load_error("duration: soon\n");
  EXPECT_EQ(e.key, "duration");
}

TEST(Config, VfioWithoutIommu) {
  auto e = load_error("workload: {vfio: 1}\n");
  EXPECT_EQ(e.key, "workload.vfio");
}

TEST(Config, ReaderShapeAndResetMethod) {
  Topology d = load_topology_text("duration: 1m\n", "t.yaml");
  EXPECT_EQ(d.workload.read_sizes, (std::vector<int>{1, 2, 4, 0}));
  EXPECT_TRUE(d.workload.pin_cpus);
  EXPECT_EQ(d.workload.readers_on, "all");
  EXPECT_EQ(d.workload.reset_method, "");
  Topology t = load_topology_text(
      "workload: {read_sizes: [whole, 4], pin_cpus: false, readers_on: targets, reset_method: pm}\n", "t.yaml");
  EXPECT_EQ(t.workload.read_sizes, (std::vector<int>{0, 4}));
  EXPECT_FALSE(t.workload.pin_cpus);
  EXPECT_EQ(t.workload.readers_on, "targets");
  EXPECT_EQ(t.workload.reset_method, "pm");
  Topology back = load_topology_text(emit_topology_yaml(t), "config.yaml");
  EXPECT_EQ(back.workload.read_sizes, t.workload.read_sizes);
  EXPECT_EQ(back.workload.reset_method, "pm");
  EXPECT_EQ(back.workload.readers_on, "targets");
  EXPECT_FALSE(back.workload.pin_cpus);
  auto e = load_error("workload:\n  read_sizes: [8]\n");
  EXPECT_EQ(e.key, "workload.read_sizes");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(load_error("workload: {reset_method: warm}\n").key, "workload.reset_method");
  EXPECT_EQ(load_error("workload: {readers_on: some}\n").key, "workload.readers_on");
}

TEST(Config, SyntaxError) {
  auto e = load_error("machine: {vcpus: 2\n");
  EXPECT_EQ(e.key, "<syntax>");
  EXPECT_GT(e.line, 0);
}

TEST(Config, MissingFile) {
  EXPECT_THROW(load_topology_file("/nonexistent/x.yaml"), ConfigError);
}

TEST(Config, EmbeddedDefaultLoads) {
  Topology t = load_default_topology();
  EXPECT_EQ(t.machine, "q35");
  EXPECT_EQ(t.hotplug.flavour, "acpi");
  EXPECT_FALSE(t.hotplug.slots.empty());
  EXPECT_EQ(t.hotplug.kinds.size(), 4u);
}

TEST(Config, ShippedConfigsLoad) {
  for (auto& e : std::filesystem::directory_iterator(std::string(PCIRIG_SOURCE_DIR) + "/rig/configs")) {
    SCOPED_TRACE(e.path().string());
    Topology t = load_topology_file(e.path().string());
    EXPECT_FALSE(t.root_ports.empty());
  }
  Topology v = load_topology_file(std::string(PCIRIG_SOURCE_DIR) + "/rig/configs/vfio.yaml");
  EXPECT_TRUE(v.iommu);
  EXPECT_GT(v.workload.vfio, 0);
  Topology s = load_topology_file(std::string(PCIRIG_SOURCE_DIR) + "/rig/configs/switch-tree.yaml");
  ASSERT_EQ(s.switches.size(), 1u);
  EXPECT_EQ(s.switches[0].downstream.size(), 3u);
  EXPECT_EQ(s.hotplug.flavour, "native");
}

TEST(Config, EmittedYamlRoundTrips) {
  Topology a = load_topology_file(std::string(PCIRIG_SOURCE_DIR) + "/rig/configs/switch-tree.yaml");
  a.seed = 1234567;
  std::string y = emit_topology_yaml(a);
  Topology b = load_topology_text(y, "config.yaml");
  auto body = [](const std::string& s) { return s.substr(s.find('\n')); };  // line 1 names the source
  EXPECT_EQ(body(emit_topology_yaml(b)), body(y));
  EXPECT_EQ(b.seed, a.seed);
  EXPECT_EQ(b.duration_s, a.duration_s);
  EXPECT_EQ(b.switches[0].downstream[2].slot, 13);
}
