// Where the agent finds sysfs and /dev. The real guest uses "/"; the unit
// tests point it at a fake tree in a temp dir (real files, not a mock).
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace pcirig::agent {

struct SysfsRoot {
  std::filesystem::path root = "/";

  std::filesystem::path pci_devices() const { return root / "sys/bus/pci/devices"; }
  std::filesystem::path pci_device(const std::string& bdf) const { return pci_devices() / bdf; }
  std::filesystem::path pci_drivers() const { return root / "sys/bus/pci/drivers"; }
  std::filesystem::path pci_slots() const { return root / "sys/bus/pci/slots"; }
  std::filesystem::path pci_rescan() const { return root / "sys/bus/pci/rescan"; }
  std::filesystem::path virtio_ports() const { return root / "sys/class/virtio-ports"; }
  std::filesystem::path dev() const { return root / "dev"; }
};

// Small helpers for one-value sysfs files: trailing newline stripped.
std::optional<std::string> read_text_file(const std::filesystem::path& p);
// Writes `value` in one write(2); returns 0 or the errno of the failure.
int write_text_file(const std::filesystem::path& p, const std::string& value);

}  // namespace pcirig::agent
