// The kernel config check (rig/src/kconfig): what a run needs from the kernel's
// config, by feature, and the docs table that lists it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kconfig/config_check.hpp"
#include "kconfig/kernel_config.hpp"
#include "kconfig/requirements.hpp"

using namespace pcirig;

namespace {
// Every option the table has, built in.
std::string full_config() {
  std::string s = "# Linux/x86 6.1.99 Kernel Configuration\n";
  for (const auto& r : kconfig_requirements()) s += "CONFIG_" + r.option + "=y\n";
  return s;
}

std::string without(std::string text, const std::string& option) {
  auto at = text.find("CONFIG_" + option + "=y\n");
  EXPECT_NE(at, std::string::npos) << option;
  return text.erase(at, option.size() + 10);
}

std::vector<std::string> options(const std::vector<KconfigFinding>& f) {
  std::vector<std::string> v;
  for (const auto& x : f) v.push_back(x.req->option);
  return v;
}
}  // namespace

TEST(KernelConfig, ParsesValuesAndIgnoresUnset) {
  auto c = KernelConfig::parse(
      "# CONFIG_KASAN is not set\nCONFIG_PCI=y\nCONFIG_VFIO_PCI=m\nCONFIG_LOCALVERSION=\"-x\"\nCONFIG_FOO=n\nnoise\n");
  EXPECT_EQ(c.value("PCI"), "y");
  EXPECT_EQ(c.value("VFIO_PCI"), "m");
  EXPECT_EQ(c.value("LOCALVERSION"), "-x");
  EXPECT_EQ(c.value("KASAN"), "");
  EXPECT_EQ(c.value("FOO"), "");
}

TEST(KconfigCheck, FullConfigPassesTheDefaultTopology) {
  Topology t = load_default_topology();
  auto v = check_kernel_config(KernelConfig::parse(full_config()), {}, t, true);
  EXPECT_TRUE(v.missing_required.empty());
  EXPECT_TRUE(v.missing_recommended.empty());
}

TEST(KconfigCheck, AcpiHotplugNeedsHotplugPciAcpiNativeDoesNot) {
  Topology t = load_default_topology();
  t.hotplug.enabled = true;
  t.hotplug.flavour = "acpi";
  auto cfg = KernelConfig::parse(without(full_config(), "HOTPLUG_PCI_ACPI"));
  auto v = check_kernel_config(cfg, {}, t, true);
  ASSERT_EQ(options(v.missing_required), std::vector<std::string>{"HOTPLUG_PCI_ACPI"});
  EXPECT_NE(v.missing_required[0].reason.find("ACPI hot-plug"), std::string::npos);
  EXPECT_NE(v.missing_required[0].reason.find(t.source), std::string::npos);
  t.hotplug.flavour = "native";
  EXPECT_TRUE(check_kernel_config(cfg, {}, t, true).missing_required.empty());
}

TEST(KconfigCheck, VfioAndIommuOnlyForVfioConfigs) {
  Topology t = load_default_topology();
  auto cfg = KernelConfig::parse(without(without(full_config(), "VFIO_PCI"), "INTEL_IOMMU"));
  t.workload.vfio = 0;
  t.iommu = false;
  EXPECT_TRUE(check_kernel_config(cfg, {}, t, true).missing_required.empty());
  t.workload.vfio = 1;
  t.iommu = true;
  auto got = options(check_kernel_config(cfg, {}, t, true).missing_required);
  EXPECT_EQ(got, (std::vector<std::string>{"VFIO_PCI", "INTEL_IOMMU"}));
}

TEST(KconfigCheck, ModuleCountsOnlyWhenTheInitramfsLoadsIt) {
  Topology t = load_default_topology();
  std::string text = full_config();
  text.replace(text.find("CONFIG_VIRTIO_PCI=y"), 19, "CONFIG_VIRTIO_PCI=m");
  auto cfg = KernelConfig::parse(text);
  auto v = check_kernel_config(cfg, {}, t, true);
  ASSERT_EQ(options(v.missing_required), std::vector<std::string>{"VIRTIO_PCI"});
  EXPECT_NE(v.missing_required[0].state.find("does not load virtio_pci"), std::string::npos);
  EXPECT_TRUE(check_kernel_config(cfg, {"virtio_pci"}, t, true).missing_required.empty());
  // Built-in-only options are not satisfied by =m.
  text = full_config();
  text.replace(text.find("CONFIG_HOTPLUG_PCI_ACPI=y"), 25, "CONFIG_HOTPLUG_PCI_ACPI=m");
  t.hotplug.flavour = "acpi";
  EXPECT_EQ(options(check_kernel_config(KernelConfig::parse(text), {}, t, true).missing_required),
            std::vector<std::string>{"HOTPLUG_PCI_ACPI"});
}

TEST(KconfigCheck, PvhOnlyWhenBootingAVmlinux) {
  Topology t = load_default_topology();
  auto cfg = KernelConfig::parse(without(full_config(), "PVH"));
  EXPECT_EQ(options(check_kernel_config(cfg, {}, t, true).missing_required), std::vector<std::string>{"PVH"});
  EXPECT_TRUE(check_kernel_config(cfg, {}, t, false).missing_required.empty());
}

TEST(KconfigCheck, RecommendedOnlyWarn) {
  Topology t = load_default_topology();
  auto cfg = KernelConfig::parse(without(without(full_config(), "KASAN"), "PROVE_LOCKING"));
  auto v = check_kernel_config(cfg, {}, t, true);
  EXPECT_TRUE(v.missing_required.empty());
  EXPECT_EQ(options(v.missing_recommended), (std::vector<std::string>{"PROVE_LOCKING", "KASAN"}));
  t.cmdline_extra = "panic_on_warn=0";
  EXPECT_EQ(check_kernel_config(cfg, {}, t, true).notes.size(), 1u);
}

TEST(KconfigCheck, DocsPageHoldsTheTable) {
  std::ifstream f(std::string(PCIRIG_SOURCE_DIR) + "/docs/kernel-config.md");
  ASSERT_TRUE(f) << "docs/kernel-config.md missing";
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find(kconfig_table_markdown()), std::string::npos)
      << "docs/kernel-config.md differs from kconfig_requirements(); the table is:\n"
      << kconfig_table_markdown();
}
