// Topology -> YAML, every default spelled out: the run directory's config.yaml, which
// `pcirig repro` loads back as it is.
#include <yaml-cpp/yaml.h>

#include "config/topology.hpp"
#include "util/duration.hpp"

namespace pcirig {
namespace {
void emit_port(YAML::Emitter& e, const Port& p) {
  e << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << p.id << YAML::Key << "slot" << YAML::Value
    << p.slot << YAML::Key << "chassis" << YAML::Value << p.chassis << YAML::Key << "hotplug" << YAML::Value << p.hotplug
    << YAML::EndMap;
}
void emit_strings(YAML::Emitter& e, const std::vector<std::string>& v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (auto& s : v) e << s;
  e << YAML::EndSeq;
}
}  // namespace

std::string emit_topology_yaml(const Topology& t) {
  YAML::Emitter e;
  e << YAML::Comment("pcirig topology as run (from " + t.source + ")");
  e << YAML::BeginMap;
  e << YAML::Key << "machine" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "type" << YAML::Value << t.machine << YAML::Key << "vcpus" << YAML::Value << t.vcpus;
  e << YAML::Key << "memory_mb" << YAML::Value << t.memory_mb << YAML::Key << "accel" << YAML::Value << t.accel;
  e << YAML::Key << "tcg_thread" << YAML::Value << t.tcg_thread << YAML::Key << "iommu" << YAML::Value << t.iommu;
  e << YAML::Key << "firmware" << YAML::Value << t.firmware;
  e << YAML::EndMap;
  e << YAML::Key << "kernel" << YAML::Value << YAML::BeginMap << YAML::Key << "cmdline" << YAML::Value
    << YAML::DoubleQuoted << t.cmdline_extra << YAML::EndMap;
  e << YAML::Key << "topology" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "root_ports" << YAML::Value << YAML::BeginSeq;
  for (auto& p : t.root_ports) emit_port(e, p);
  e << YAML::EndSeq;
  e << YAML::Key << "switches" << YAML::Value << YAML::BeginSeq;
  for (auto& s : t.switches) {
    e << YAML::BeginMap << YAML::Key << "id" << YAML::Value << s.id << YAML::Key << "bus" << YAML::Value << s.bus;
    e << YAML::Key << "downstream" << YAML::Value << YAML::BeginSeq;
    for (auto& p : s.downstream) emit_port(e, p);
    e << YAML::EndSeq << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  e << YAML::Key << "templates" << YAML::Value << YAML::BeginMap;
  for (auto& tm : t.templates) {
    e << YAML::Key << tm.name << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "driver" << YAML::Value << qemu_driver(tm.kind);
    e << YAML::Key << "disk_mb" << YAML::Value << tm.disk_mb;
    if (!tm.props.empty()) {
      e << YAML::Key << "props" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (auto& [k, v] : tm.props) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "devices" << YAML::Value << YAML::BeginSeq;
  for (auto& d : t.devices)
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << d.id << YAML::Key << "template"
      << YAML::Value << d.tmpl << YAML::Key << "bus" << YAML::Value << d.bus << YAML::EndMap;
  e << YAML::EndSeq;
  const Workload& w = t.workload;
  e << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "readers" << YAML::Value << w.readers << YAML::Key << "resetters" << YAML::Value << w.resetters;
  e << YAML::Key << "rescanners" << YAML::Value << w.rescanners << YAML::Key << "binders" << YAML::Value << w.binders;
  e << YAML::Key << "vfio" << YAML::Value << w.vfio << YAML::Key << "reset_interval_ms" << YAML::Value
    << w.reset_interval_ms;
  e << YAML::Key << "match" << YAML::Value;
  emit_strings(e, w.match);
  std::vector<std::string> sizes;
  for (int b : w.read_sizes) sizes.push_back(b ? std::to_string(b) : "whole");
  e << YAML::Key << "read_sizes" << YAML::Value;
  emit_strings(e, sizes);
  e << YAML::Key << "pin_cpus" << YAML::Value << w.pin_cpus;
  e << YAML::Key << "readers_on" << YAML::Value << w.readers_on;
  if (!w.reset_method.empty()) e << YAML::Key << "reset_method" << YAML::Value << w.reset_method;
  e << YAML::EndMap;
  const HotplugPolicy& h = t.hotplug;
  e << YAML::Key << "hotplug" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << h.enabled << YAML::Key << "flavour" << YAML::Value << h.flavour;
  e << YAML::Key << "interval_ms" << YAML::Value << h.interval_ms << YAML::Key << "min_present_ms" << YAML::Value
    << h.min_present_ms;
  e << YAML::Key << "slots" << YAML::Value;
  emit_strings(e, h.slots);
  e << YAML::Key << "kinds" << YAML::Value;
  emit_strings(e, h.kinds);
  e << YAML::Key << "native_power_off" << YAML::Value << h.native_power_off;
  e << YAML::EndMap;
  e << YAML::Key << "duration" << YAML::Value << (std::to_string(int64_t(t.duration_s * 1000)) + "ms");
  if (t.seed) e << YAML::Key << "seed" << YAML::Value << *t.seed;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}
}  // namespace pcirig
