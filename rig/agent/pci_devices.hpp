// The PCI functions present in the guest, as read from sysfs, and the
// add/remove events between two listings.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sysfs_root.hpp"

namespace pcirig::agent {

struct PciDevice {
  std::string bdf;      // "0000:01:00.0"
  std::string vendor;   // "0x1af4"
  std::string device;   // "0x1041"
  std::string class_code;  // "0x020000"
  std::optional<std::string> driver;  // bound driver's name
  std::optional<std::string> slot;    // hot-plug slot name from /sys/bus/pci/slots/*/address
  bool has_reset = false;             // sysfs `reset` exists (some reset method available)
  bool has_iommu_group = false;       // needed for a vfio cycle

  bool is_bridge() const { return class_code.rfind("0x06", 0) == 0; }
  // "1af4:1041", the form `match` entries use.
  std::string vendor_device() const;

  bool operator==(const PciDevice&) const = default;
};

// The contract's DEV object.
nlohmann::ordered_json to_json(const PciDevice& d);

// All functions under root/sys/bus/pci/devices, sorted by BDF. Entries that
// vanish while being read are skipped (hot-unplug races the listing).
std::vector<PciDevice> list_pci_devices(const SysfsRoot& root);

struct PciEvent {
  enum class Kind { add, remove } kind;
  PciDevice dev;
};

// Events that turn `before` into `after` (both sorted by BDF). A function whose
// identity changed at the same BDF (a different card in the slot) is a remove
// then an add; a driver binding or unbinding is not an event.
std::vector<PciEvent> diff_pci_devices(const std::vector<PciDevice>& before,
                                       const std::vector<PciDevice>& after);

}  // namespace pcirig::agent
