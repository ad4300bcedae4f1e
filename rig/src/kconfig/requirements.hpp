// The kernel options the rig needs, and which feature of a run needs each
// (docs/kernel-config.md is this table). Required ones stop a run before QEMU
// starts; recommended ones make better reports and only warn.
#pragma once
#include <string>
#include <vector>

#include "config/topology.hpp"

namespace pcirig {

enum class KconfigNeed {
  always,          // every run: console, initramfs, agent channel, hang detection
  elf_boot,        // the image is an ELF vmlinux (QEMU -kernel needs its PVH entry)
  acpi_hotplug,    // hotplug.flavour acpi
  native_hotplug,  // hotplug.flavour native
  vfio,            // workload.vfio > 0
  iommu,           // iommu: true (QEMU's intel-iommu)
  device,          // a device of `device` kind is cold-plugged or hot-plugged
  report,          // recommended: better reports
};

struct KconfigRequirement {
  std::string option;     // without CONFIG_
  std::string module;     // when it may be =m: the module the initramfs must load; "" = built in only
  bool required;
  KconfigNeed need;
  std::string feature;    // what needs it, in a few words
  DeviceKind device = DeviceKind::virtio_net;  // for KconfigNeed::device
};

const std::vector<KconfigRequirement>& kconfig_requirements();

// Why this run needs R ("" when it does not): the feature and where it comes from.
std::string requirement_reason(const KconfigRequirement& r, const Topology& t, bool elf_boot);

// The table of docs/kernel-config.md (a test keeps the page equal to it).
std::string kconfig_table_markdown();
}  // namespace pcirig
