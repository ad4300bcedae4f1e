// YAML -> Topology, refusing anything doubtful before QEMU starts. Every error names
// file:line:column (yaml-cpp marks are 0-based; we print 1-based) and the key.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "config/topology.hpp"
#include "config/yaml_errors.hpp"
#include "util/duration.hpp"

namespace pcirig {
namespace {

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& key, const std::string& msg) const {
    throw_config_error(file_, m, key, msg);
  }

  // Mark of the key itself (so "unknown key" points at the key, not its value).
  YAML::Mark key_mark(const YAML::Node& map, const std::string& key) const {
    for (auto it = map.begin(); it != map.end(); ++it)
      if (it->first.Scalar() == key) return it->first.Mark();
    return map.Mark();
  }

  void require_map(const YAML::Node& n, const std::string& key) const {
    if (!n.IsMap()) fail(n.Mark(), key, "expected a mapping");
  }
  void require_seq(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) fail(n.Mark(), key, "expected a list");
  }

  void check_keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> allowed) const {
    check_yaml_keys(file_, map, where, allowed);
  }

  std::string path(const std::string& where, const std::string& key) const { return where.empty() ? key : where + "." + key; }

  int get_int(const YAML::Node& map, const std::string& where, const std::string& key, int def, int lo, int hi) const {
    YAML::Node n = map[key];
    if (!n) return def;
    if (!n.IsScalar()) fail(n.Mark(), path(where, key), "expected an integer");
    long long v;
    try {
      v = n.as<long long>();
    } catch (const YAML::Exception&) {
      fail(n.Mark(), path(where, key), fmt::format("expected an integer, got '{}'", n.Scalar()));
    }
    if (v < lo || v > hi) fail(n.Mark(), path(where, key), fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return int(v);
  }

  bool get_bool(const YAML::Node& map, const std::string& where, const std::string& key, bool def) const {
    YAML::Node n = map[key];
    if (!n) return def;
    try {
      if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(n.Mark(), path(where, key), "expected true or false");
    }
  }

  std::string get_str(const YAML::Node& map, const std::string& where, const std::string& key, const std::string& def,
                      bool required = false) const {
    YAML::Node n = map[key];
    if (!n) {
      if (required) fail(map.Mark(), path(where, key), "missing (required)");
      return def;
    }
    if (!n.IsScalar()) fail(n.Mark(), path(where, key), "expected a string");
    return n.Scalar();
  }

  std::string get_enum(const YAML::Node& map, const std::string& where, const std::string& key, const std::string& def,
                       std::initializer_list<const char*> values) const {
    std::string v = get_str(map, where, key, def);
    for (auto a : values)
      if (v == a) return v;
    std::string list;
    for (auto a : values) list += (list.empty() ? "" : ", ") + std::string(a);
    fail(map[key].Mark(), path(where, key), fmt::format("'{}' is not one of: {}", v, list));
  }

  std::vector<std::string> get_str_list(const YAML::Node& map, const std::string& where, const std::string& key) const {
    std::vector<std::string> out;
    YAML::Node n = map[key];
    if (!n || n.IsNull()) return out;
    require_seq(n, path(where, key));
    for (auto e : n) {
      if (!e.IsScalar()) fail(e.Mark(), path(where, key), "expected a list of strings");
      out.push_back(e.Scalar());
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

void load_machine(const Loader& L, const YAML::Node& m, Topology& t) {
  L.check_keys(m, "machine", {"type", "vcpus", "memory_mb", "accel", "tcg_thread", "iommu", "firmware"});
  t.machine = L.get_enum(m, "machine", "type", "q35", {"q35"});
  t.vcpus = L.get_int(m, "machine", "vcpus", 2, 1, 64);
  t.memory_mb = L.get_int(m, "machine", "memory_mb", 1024, 128, 65536);
  t.accel = L.get_enum(m, "machine", "accel", "auto", {"auto", "kvm", "tcg"});
  t.tcg_thread = L.get_enum(m, "machine", "tcg_thread", "single", {"single", "multi"});
  t.iommu = L.get_bool(m, "machine", "iommu", false);
  t.firmware = L.get_enum(m, "machine", "firmware", "qboot", {"qboot", "seabios"});
}

Port load_port(const Loader& L, const YAML::Node& n, const std::string& where, bool downstream) {
  L.check_keys(n, where, {"id", "slot", "chassis", "hotplug"});
  Port p;
  p.id = L.get_str(n, where, "id", "", true);
  p.slot = L.get_int(n, where, "slot", 0, 1, 255);
  if (!n["slot"]) L.fail(n.Mark(), where + ".slot", "missing (required: the physical slot number)");
  p.chassis = L.get_int(n, where, "chassis", 1, 0, 255);
  p.hotplug = L.get_bool(n, where, "hotplug", true);
  p.downstream = downstream;
  return p;
}

void load_topology_section(const Loader& L, const YAML::Node& n, Topology& t) {
  L.check_keys(n, "topology", {"root_ports", "switches"});
  if (auto rps = n["root_ports"]) {
    L.require_seq(rps, "topology.root_ports");
    for (auto rp : rps) {
      Port p = load_port(L, rp, "topology.root_ports", false);
      p.bus = "pcie.0";
      t.root_ports.push_back(p);
    }
  }
  if (auto sws = n["switches"]) {
    L.require_seq(sws, "topology.switches");
    for (auto sw : sws) {
      L.check_keys(sw, "topology.switches", {"id", "bus", "downstream"});
      Switch s;
      s.id = L.get_str(sw, "topology.switches", "id", "", true);
      s.bus = L.get_str(sw, "topology.switches", "bus", "", true);
      auto ds = sw["downstream"];
      if (!ds) L.fail(sw.Mark(), "topology.switches.downstream", "missing (a switch needs downstream ports)");
      L.require_seq(ds, "topology.switches.downstream");
      for (auto d : ds) {
        Port p = load_port(L, d, "topology.switches.downstream", true);
        p.bus = s.id;
        s.downstream.push_back(p);
      }
      t.switches.push_back(s);
    }
  }
}

void load_templates(const Loader& L, const YAML::Node& n, Topology& t) {
  L.require_map(n, "templates");
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string where = "templates." + name;
    const YAML::Node& v = it->second;
    L.check_keys(v, where, {"driver", "disk_mb", "props"});
    DeviceTemplate d;
    d.name = name;
    std::string driver = L.get_str(v, where, "driver", "", true);
    auto kind = device_kind_from_driver(driver);
    if (!kind) L.fail(v["driver"].Mark(), where + ".driver",
                      fmt::format("'{}' is not one of: virtio-net-pci, virtio-blk-pci, e1000e, nvme", driver));
    d.kind = *kind;
    d.disk_mb = L.get_int(v, where, "disk_mb", 16, 1, 4096);
    if (auto p = v["props"]) {
      L.require_map(p, where + ".props");
      for (auto pi = p.begin(); pi != p.end(); ++pi) {
        if (!pi->second.IsScalar()) L.fail(pi->second.Mark(), where + ".props." + pi->first.Scalar(), "expected a scalar");
        d.props[pi->first.Scalar()] = pi->second.Scalar();
      }
    }
    t.templates.push_back(d);
  }
}

void load_workload(const Loader& L, const YAML::Node& n, Workload& w) {
  L.check_keys(n, "workload", {"readers", "resetters", "rescanners", "binders", "vfio", "reset_interval_ms", "match",
                                    "read_sizes", "pin_cpus", "readers_on", "reset_method"});
  w.readers = L.get_int(n, "workload", "readers", w.readers, 0, 256);
  w.resetters = L.get_int(n, "workload", "resetters", w.resetters, 0, 256);
  w.rescanners = L.get_int(n, "workload", "rescanners", w.rescanners, 0, 64);
  w.binders = L.get_int(n, "workload", "binders", w.binders, 0, 64);
  w.vfio = L.get_int(n, "workload", "vfio", w.vfio, 0, 64);
  w.reset_interval_ms = L.get_int(n, "workload", "reset_interval_ms", w.reset_interval_ms, 0, 600000);
  w.match = L.get_str_list(n, "workload", "match");
  for (auto& m : w.match)
    if (m.find(':') == std::string::npos)
      L.fail(n["match"].Mark(), "workload.match", fmt::format("'{}' is not vendor:device", m));
  if (n["read_sizes"]) {
    w.read_sizes.clear();
    for (auto& s : L.get_str_list(n, "workload", "read_sizes")) {
      if (s == "whole") w.read_sizes.push_back(0);
      else if (s == "1" || s == "2" || s == "4") w.read_sizes.push_back(std::stoi(s));
      else L.fail(n["read_sizes"].Mark(), "workload.read_sizes", fmt::format("'{}' is not 1, 2, 4 or whole", s));
    }
    if (w.read_sizes.empty()) L.fail(n["read_sizes"].Mark(), "workload.read_sizes", "needs at least one size");
  }
  w.pin_cpus = L.get_bool(n, "workload", "pin_cpus", w.pin_cpus);
  w.readers_on = L.get_enum(n, "workload", "readers_on", w.readers_on, {"all", "targets"});
  // The methods drivers/pci/pci.c names in its reset_method attribute (5.15 and later).
  w.reset_method = L.get_enum(n, "workload", "reset_method", "", {"", "flr", "pm", "bus", "af_flr", "device_specific", "acpi", "cxl_bus"});
}

void load_hotplug(const Loader& L, const YAML::Node& n, HotplugPolicy& h) {
  L.check_keys(n, "hotplug", {"enabled", "flavour", "interval_ms", "min_present_ms", "slots", "kinds", "native_power_off"});
  h.enabled = L.get_bool(n, "hotplug", "enabled", true);
  h.flavour = L.get_enum(n, "hotplug", "flavour", "acpi", {"acpi", "native"});
  h.interval_ms = L.get_int(n, "hotplug", "interval_ms", h.interval_ms, 10, 3600000);
  h.min_present_ms = L.get_int(n, "hotplug", "min_present_ms", h.min_present_ms, 0, 3600000);
  h.slots = L.get_str_list(n, "hotplug", "slots");
  h.kinds = L.get_str_list(n, "hotplug", "kinds");
  h.native_power_off = L.get_bool(n, "hotplug", "native_power_off", true);
}

// Cross-references: buses exist, one device per slot, ids and slot numbers unique.
void validate(const Loader& L, const YAML::Node& root, Topology& t) {
  std::set<std::string> ids;
  std::set<std::pair<int, int>> chassis_slot;
  std::set<int> slot_numbers;
  auto port_node = [&](const std::string& id) -> YAML::Node {
    if (auto tp = root["topology"]) {
      if (auto rps = tp["root_ports"])
        for (auto rp : rps)
          if (rp["id"] && rp["id"].Scalar() == id) return rp;
      if (auto sws = tp["switches"])
        for (auto sw : sws)
          if (auto ds = sw["downstream"])
            for (auto d : ds)
              if (d["id"] && d["id"].Scalar() == id) return d;
    }
    return root;
  };
  for (const Port* p : t.all_ports()) {
    YAML::Node pn = port_node(p->id);
    std::string where = p->downstream ? "topology.switches.downstream" : "topology.root_ports";
    if (!ids.insert(p->id).second) L.fail(pn["id"].Mark(), where + ".id", fmt::format("duplicate id '{}'", p->id));
    if (!chassis_slot.insert({p->chassis, p->slot}).second || !slot_numbers.insert(p->slot).second)
      L.fail(pn["slot"].Mark(), where + ".slot", fmt::format("slot {} is already used by another port", p->slot));
  }
  std::string port_list;
  for (const Port* p : t.all_ports()) port_list += (port_list.empty() ? "" : ", ") + p->id;

  if (auto tp = root["topology"])
    if (auto sws = tp["switches"]) {
      size_t i = 0;
      for (auto sw : sws) {
        const Switch& s = t.switches[i++];
        if (!ids.insert(s.id).second) L.fail(sw["id"].Mark(), "topology.switches.id", fmt::format("duplicate id '{}'", s.id));
        bool on_root = false;
        for (auto& rp : t.root_ports) on_root = on_root || rp.id == s.bus;
        if (!on_root)
          L.fail(sw["bus"].Mark(), "topology.switches.bus", fmt::format("no root port '{}' (root ports: {})", s.bus, port_list));
      }
    }

  std::map<std::string, std::string> occupant;  // port -> device id
  for (auto& s : t.switches) occupant[s.bus] = s.id;
  if (auto devs = root["devices"]) {
    size_t i = 0;
    for (auto dn : devs) {
      const Device& d = t.devices[i++];
      if (!ids.insert(d.id).second) L.fail(dn["id"].Mark(), "devices.id", fmt::format("duplicate id '{}'", d.id));
      if (!t.find_template(d.tmpl))
        L.fail(dn["template"].Mark(), "devices.template", fmt::format("no template '{}'", d.tmpl));
      if (!t.find_port(d.bus))
        L.fail(dn["bus"].Mark(), "devices.bus", fmt::format("no port '{}' (ports: {})", d.bus, port_list));
      auto [it, fresh] = occupant.emplace(d.bus, d.id);
      if (!fresh)
        L.fail(dn["bus"].Mark(), "devices.bus",
               fmt::format("port '{}' already holds '{}': one device per slot", d.bus, it->second));
    }
  }

  auto hp = root["hotplug"];
  if (t.hotplug.slots.empty() && t.hotplug.enabled) {
    // Default: every hot-plug port left empty by the cold-plugged devices.
    for (const Port* p : t.all_ports())
      if (p->hotplug && !occupant.count(p->id)) t.hotplug.slots.push_back(p->id);
  }
  std::set<std::string> seen;
  for (auto& s : t.hotplug.slots) {
    const Port* p = t.find_port(s);
    YAML::Mark m = hp && hp["slots"] ? hp["slots"].Mark() : root.Mark();
    if (!p) L.fail(m, "hotplug.slots", fmt::format("no port '{}' (ports: {})", s, port_list));
    if (!p->hotplug) L.fail(m, "hotplug.slots", fmt::format("port '{}' has hotplug: false", s));
    if (occupant.count(s))
      L.fail(m, "hotplug.slots", fmt::format("port '{}' already holds '{}': one device per slot", s, occupant[s]));
    if (!seen.insert(s).second) L.fail(m, "hotplug.slots", fmt::format("slot '{}' listed twice", s));
  }
  if (t.hotplug.kinds.empty())
    for (auto& tm : t.templates) t.hotplug.kinds.push_back(tm.name);
  for (auto& k : t.hotplug.kinds)
    if (!t.find_template(k))
      L.fail(hp && hp["kinds"] ? hp["kinds"].Mark() : root.Mark(), "hotplug.kinds", fmt::format("no template '{}'", k));
  if (t.hotplug.enabled && !t.hotplug.slots.empty() && t.hotplug.kinds.empty())
    L.fail(root.Mark(), "hotplug.kinds", "the storm has slots but no device templates to plug");
  if (t.workload.vfio > 0 && !t.iommu)
    L.fail(root["workload"]["vfio"].Mark(), "workload.vfio",
           "vfio needs machine.iommu: true (the Debian kernel has no vfio no-IOMMU mode)");
}

Topology load(const YAML::Node& root, const std::string& file) {
  Loader L(file);
  Topology t;
  t.source = file;
  if (root.IsNull()) return t;
  L.check_keys(root, "", {"machine", "kernel", "topology", "templates", "devices", "workload", "hotplug", "duration", "seed"});
  if (auto m = root["machine"]) load_machine(L, m, t);
  if (auto k = root["kernel"]) {
    L.check_keys(k, "kernel", {"cmdline"});
    t.cmdline_extra = L.get_str(k, "kernel", "cmdline", "");
  }
  if (auto tp = root["topology"]) load_topology_section(L, tp, t);
  if (auto tm = root["templates"]) load_templates(L, tm, t);
  if (auto devs = root["devices"]) {
    L.require_seq(devs, "devices");
    for (auto dn : devs) {
      L.check_keys(dn, "devices", {"id", "template", "bus"});
      Device d;
      d.id = L.get_str(dn, "devices", "id", "", true);
      d.tmpl = L.get_str(dn, "devices", "template", "", true);
      d.bus = L.get_str(dn, "devices", "bus", "", true);
      t.devices.push_back(d);
    }
  }
  if (auto w = root["workload"]) load_workload(L, w, t.workload);
  if (auto h = root["hotplug"]) load_hotplug(L, h, t.hotplug);
  if (auto d = root["duration"]) {
    if (!d.IsScalar()) L.fail(d.Mark(), "duration", "expected a duration like 30s, 10m");
    auto s = parse_duration_seconds(d.Scalar());
    if (!s || *s <= 0) L.fail(d.Mark(), "duration", fmt::format("'{}' is not a duration like 30s, 10m, 1h", d.Scalar()));
    t.duration_s = *s;
  }
  if (auto s = root["seed"]) {
    try {
      if (!s.IsScalar()) throw YAML::Exception(s.Mark(), "");
      t.seed = s.as<uint64_t>();
    } catch (const YAML::Exception&) {
      L.fail(s.Mark(), "seed", "expected a non-negative integer");
    }
  }
  validate(L, root, t);
  return t;
}

}  // namespace

Topology load_topology_text(const std::string& text, const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source_name, e.mark.line + 1, e.mark.column + 1, "<syntax>", e.msg);
  }
  return load(root, source_name);
}

Topology load_topology_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, 0, 0, "<file>", "cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_topology_text(ss.str(), path);
}

}  // namespace pcirig
