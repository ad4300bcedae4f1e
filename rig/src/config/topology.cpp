#include "config/topology.hpp"

#include <fmt/format.h>

namespace pcirig {

ConfigError::ConfigError(std::string f, int l, int c, std::string k, std::string m)
    : std::runtime_error(fmt::format("{}:{}:{}: key '{}': {}", f, l, c, k, m)),
      file(std::move(f)), key(std::move(k)), message(std::move(m)), line(l), column(c) {}

const char* qemu_driver(DeviceKind k) {
  switch (k) {
    case DeviceKind::virtio_net: return "virtio-net-pci";
    case DeviceKind::virtio_blk: return "virtio-blk-pci";
    case DeviceKind::e1000e: return "e1000e";
    case DeviceKind::nvme: return "nvme";
  }
  return "?";
}

std::optional<DeviceKind> device_kind_from_driver(const std::string& d) {
  if (d == "virtio-net-pci") return DeviceKind::virtio_net;
  if (d == "virtio-blk-pci") return DeviceKind::virtio_blk;
  if (d == "e1000e") return DeviceKind::e1000e;
  if (d == "nvme") return DeviceKind::nvme;
  return std::nullopt;
}

bool needs_disk(DeviceKind k) { return k == DeviceKind::virtio_blk || k == DeviceKind::nvme; }

const Port* Topology::find_port(const std::string& id) const {
  for (auto& p : root_ports)
    if (p.id == id) return &p;
  for (auto& s : switches)
    for (auto& p : s.downstream)
      if (p.id == id) return &p;
  return nullptr;
}

const DeviceTemplate* Topology::find_template(const std::string& name) const {
  for (auto& t : templates)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<const Port*> Topology::all_ports() const {
  std::vector<const Port*> out;
  for (auto& p : root_ports) out.push_back(&p);
  for (auto& s : switches)
    for (auto& p : s.downstream) out.push_back(&p);
  return out;
}

Topology load_default_topology() { return load_topology_text(default_config_yaml(), "<embedded default.yaml>"); }

}  // namespace pcirig
