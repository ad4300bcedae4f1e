#include "pci_devices.hpp"

#include <algorithm>
#include <system_error>

namespace pcirig::agent {

namespace fs = std::filesystem;

std::string PciDevice::vendor_device() const {
  auto strip = [](const std::string& s) { return s.rfind("0x", 0) == 0 ? s.substr(2) : s; };
  return strip(vendor) + ":" + strip(device);
}

nlohmann::ordered_json to_json(const PciDevice& d) {
  nlohmann::ordered_json j;
  j["bdf"] = d.bdf;
  j["vendor"] = d.vendor;
  j["device"] = d.device;
  j["class"] = d.class_code;
  j["driver"] = d.driver ? nlohmann::ordered_json(*d.driver) : nlohmann::ordered_json(nullptr);
  j["slot"] = d.slot ? nlohmann::ordered_json(*d.slot) : nlohmann::ordered_json(nullptr);
  return j;
}

namespace {

// slot address ("0000:01:00") -> slot name, from root/sys/bus/pci/slots/*/address.
std::vector<std::pair<std::string, std::string>> read_slots(const SysfsRoot& root) {
  std::vector<std::pair<std::string, std::string>> slots;
  std::error_code ec;
  for (fs::directory_iterator it(root.pci_slots(), ec), end; !ec && it != end; it.increment(ec)) {
    if (auto addr = read_text_file(it->path() / "address"))
      slots.emplace_back(*addr, it->path().filename().string());
  }
  return slots;
}

}  // namespace

std::vector<PciDevice> list_pci_devices(const SysfsRoot& root) {
  std::vector<PciDevice> out;
  const auto slots = read_slots(root);
  std::error_code ec;
  for (fs::directory_iterator it(root.pci_devices(), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path dir = it->path();
    PciDevice d;
    d.bdf = dir.filename().string();
    auto vendor = read_text_file(dir / "vendor");
    auto device = read_text_file(dir / "device");
    auto cls = read_text_file(dir / "class");
    if (!vendor || !device || !cls) continue;  // removed while we looked
    d.vendor = *vendor;
    d.device = *device;
    d.class_code = *cls;
    std::error_code lec;
    fs::path drv = fs::read_symlink(dir / "driver", lec);
    if (!lec) d.driver = drv.filename().string();
    // A slot's address names the device (domain:bus:dev); all its functions share it.
    const std::string dev_addr = d.bdf.substr(0, d.bdf.rfind('.'));
    for (const auto& [addr, name] : slots)
      if (addr == dev_addr) d.slot = name;
    d.has_reset = fs::exists(dir / "reset", lec);
    d.has_iommu_group = fs::exists(dir / "iommu_group", lec);
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.bdf < b.bdf; });
  return out;
}

std::vector<PciEvent> diff_pci_devices(const std::vector<PciDevice>& before,
                                       const std::vector<PciDevice>& after) {
  std::vector<PciEvent> events;
  auto same_function = [](const PciDevice& a, const PciDevice& b) {
    return a.vendor == b.vendor && a.device == b.device && a.class_code == b.class_code;
  };
  std::size_t i = 0, j = 0;
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && before[i].bdf < after[j].bdf)) {
      events.push_back({PciEvent::Kind::remove, before[i++]});
    } else if (i == before.size() || after[j].bdf < before[i].bdf) {
      events.push_back({PciEvent::Kind::add, after[j++]});
    } else {
      if (!same_function(before[i], after[j])) {
        events.push_back({PciEvent::Kind::remove, before[i]});
        events.push_back({PciEvent::Kind::add, after[j]});
      }
      ++i;
      ++j;
    }
  }
  return events;
}

}  // namespace pcirig::agent
