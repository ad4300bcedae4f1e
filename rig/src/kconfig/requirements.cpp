#include "kconfig/requirements.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pcirig {

const std::vector<KconfigRequirement>& kconfig_requirements() {
  using N = KconfigNeed;
  static const std::vector<KconfigRequirement> table = {
      {"PCI", "", true, N::always, "PCI itself"},
      {"BLK_DEV_INITRD", "", true, N::always, "the initramfs holding the agent and /init"},
      {"RD_GZIP", "", true, N::always, "the initramfs is gzip-compressed"},
      {"DEVTMPFS", "", true, N::always, "/init mounts devtmpfs on /dev"},
      {"SERIAL_8250", "", true, N::always, "the serial console (ttyS0) the rig reads crash reports from"},
      {"SERIAL_8250_CONSOLE", "", true, N::always, "kernel messages on the serial console"},
      {"VIRTIO_PCI", "virtio_pci", true, N::always, "virtio transport of the agent's channel"},
      {"VIRTIO_CONSOLE", "virtio_console", true, N::always, "the agent's channel (virtio-serial port pcirig.0)"},
      {"DETECT_HUNG_TASK", "", true, N::always, "the hung-task detector (the rig boots with hung_task_panic=1)"},
      {"PVH", "", true, N::elf_boot, "booting an ELF vmlinux with QEMU -kernel (PVH entry)"},
      {"HOTPLUG_PCI", "", true, N::acpi_hotplug, "PCI hot-plug core"},
      {"HOTPLUG_PCI_ACPI", "", true, N::acpi_hotplug, "ACPI hot-plug (hotplug.flavour acpi)"},
      {"PCIEPORTBUS", "", true, N::native_hotplug, "PCIe port services, pciehp's host"},
      {"HOTPLUG_PCI_PCIE", "", true, N::native_hotplug, "native PCIe hot-plug, pciehp (hotplug.flavour native)"},
      {"VFIO_PCI", "vfio_pci", true, N::vfio, "vfio-pci bind/open/reset cycles (workload.vfio)"},
      {"VFIO_IOMMU_TYPE1", "vfio_iommu_type1", true, N::vfio, "vfio containers (workload.vfio)"},
      {"INTEL_IOMMU", "", true, N::iommu, "the emulated intel-iommu behind vfio (iommu: true)"},
      {"VIRTIO_NET", "virtio_net", true, N::device, "virtio-net-pci devices", DeviceKind::virtio_net},
      {"VIRTIO_BLK", "virtio_blk", true, N::device, "virtio-blk-pci devices", DeviceKind::virtio_blk},
      {"E1000E", "e1000e", true, N::device, "e1000e devices", DeviceKind::e1000e},
      {"BLK_DEV_NVME", "nvme", true, N::device, "nvme devices", DeviceKind::nvme},
      {"DEBUG_LIST", "", false, N::report, "list corruption (a stale pci_cfg_wait entry) reported where it happens"},
      {"PROVE_LOCKING", "", false, N::report, "lockdep: lock-order and wrong-context locking reported before it deadlocks"},
      {"KASAN", "", false, N::report, "use-after-free and out-of-bounds accesses reported at the access"},
  };
  return table;
}

namespace {
bool uses_kind(const Topology& t, DeviceKind k) {
  auto is = [&](const std::string& tmpl) {
    const DeviceTemplate* d = t.find_template(tmpl);
    return d && d->kind == k;
  };
  if (std::any_of(t.devices.begin(), t.devices.end(), [&](const Device& d) { return is(d.tmpl); })) return true;
  return t.hotplug.enabled && std::any_of(t.hotplug.kinds.begin(), t.hotplug.kinds.end(), is);
}
}  // namespace

std::string requirement_reason(const KconfigRequirement& r, const Topology& t, bool elf_boot) {
  switch (r.need) {
    case KconfigNeed::always: return r.feature;
    case KconfigNeed::report: return r.feature;
    case KconfigNeed::elf_boot: return elf_boot ? r.feature : "";
    case KconfigNeed::acpi_hotplug:
      return t.hotplug.enabled && t.hotplug.flavour == "acpi" ? fmt::format("{}, in {}", r.feature, t.source) : "";
    case KconfigNeed::native_hotplug:
      return t.hotplug.enabled && t.hotplug.flavour == "native" ? fmt::format("{}, in {}", r.feature, t.source) : "";
    case KconfigNeed::vfio:
      return t.workload.vfio > 0 ? fmt::format("{}, {} in {}", r.feature, t.workload.vfio, t.source) : "";
    case KconfigNeed::iommu: return t.iommu ? fmt::format("{}, in {}", r.feature, t.source) : "";
    case KconfigNeed::device: return uses_kind(t, r.device) ? fmt::format("{} in {}", r.feature, t.source) : "";
  }
  return "";
}

std::string kconfig_table_markdown() {
  auto when = [](const KconfigRequirement& r) -> std::string {
    switch (r.need) {
      case KconfigNeed::always: return "every run";
      case KconfigNeed::elf_boot: return "the image is a vmlinux";
      case KconfigNeed::acpi_hotplug: return "`hotplug.flavour: acpi`";
      case KconfigNeed::native_hotplug: return "`hotplug.flavour: native`";
      case KconfigNeed::vfio: return "`workload.vfio` > 0";
      case KconfigNeed::iommu: return "`iommu: true`";
      case KconfigNeed::device: return fmt::format("`{}` in the topology", qemu_driver(r.device));
      case KconfigNeed::report: return "every run";
    }
    return "";
  };
  std::string s = "| option | level | needed when | what needs it | as a module |\n|---|---|---|---|---|\n";
  for (const auto& r : kconfig_requirements())
    s += fmt::format("| `CONFIG_{}` | {} | {} | {} | {} |\n", r.option, r.required ? "required" : "recommended", when(r),
                     r.feature, r.module.empty() ? "no" : fmt::format("`{}`", r.module));
  return s;
}
}  // namespace pcirig
