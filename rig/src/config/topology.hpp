// The rig's topology: what QEMU builds, what the guest runs, what the storm does.
// Loaded from YAML (load_topology.cpp), fully validated before QEMU starts.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcirig {

// A refused config: names file:line:column and the key, e.g.
// "cfg.yaml:12:5: key 'bus': no port 'rp9' (ports: rp1, rp2)".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string key, std::string msg);
  std::string file, key, message;
  int line, column;  // 1-based
};

// A PCIe port with one slot: a root port on pcie.0 or a switch downstream port.
struct Port {
  std::string id;
  std::string bus;       // pcie.0 for root ports, the switch's id for downstream ports
  int chassis = 1;
  int slot = 0;          // physical slot number: also the guest's /sys/bus/pci/slots/<slot>
  bool hotplug = true;
  bool downstream = false;
};

struct Switch {
  std::string id;        // the upstream port's id (x3130-upstream)
  std::string bus;       // the root port it sits behind
  std::vector<Port> downstream;
};

enum class DeviceKind { virtio_net, virtio_blk, e1000e, nvme };
const char* qemu_driver(DeviceKind k);
std::optional<DeviceKind> device_kind_from_driver(const std::string& driver);
bool needs_disk(DeviceKind k);

struct DeviceTemplate {
  std::string name;
  DeviceKind kind = DeviceKind::virtio_net;
  int disk_mb = 16;      // backing file size for nvme / virtio-blk
  std::map<std::string, std::string> props;  // extra -device properties (e.g. vectors: "0")
};

// A cold-plugged device.
struct Device {
  std::string id;
  std::string tmpl;
  std::string bus;
};

struct Workload {
  int readers = 2;
  int resetters = 1;
  int rescanners = 0;
  int binders = 0;
  int vfio = 0;
  int reset_interval_ms = 0;
  std::vector<std::string> match;  // "vendor:device"; empty = every device
  std::vector<int> read_sizes = {1, 2, 4, 0};  // bytes per pread, 0 = the whole space
  bool pin_cpus = true;            // worker n on CPU n mod ncpus; false: the guest scheduler places them
  std::string reset_method;        // written to each target's sysfs reset_method first; empty: the kernel's choice
  std::string readers_on = "all";  // all: every function; targets: only those the mutating workers may touch
};

struct HotplugPolicy {
  bool enabled = true;
  std::string flavour = "acpi";    // acpi | native
  int interval_ms = 200;           // one storm decision per interval
  int min_present_ms = 300;        // a device stays at least this long before unplug
  std::vector<std::string> slots;  // port ids the storm uses
  std::vector<std::string> kinds;  // template names the storm plugs
  bool native_power_off = true;    // native: ask the agent to power the slot off after device_del
};

struct Topology {
  std::string source;              // file name, or "<embedded default.yaml>"
  std::string machine = "q35";
  int vcpus = 2;
  int memory_mb = 1024;
  std::string accel = "auto";      // auto | kvm | tcg
  std::string tcg_thread = "single";
  bool iommu = false;              // emulated intel-iommu (vfio scenario)
  // qboot (minimal: loads the kernel and QEMU's ACPI tables, ~0.25 s less than SeaBIOS
  // before the kernel under TCG; Linux assigns PCI resources) | seabios.
  std::string firmware = "qboot";
  std::string cmdline_extra;
  std::vector<Port> root_ports;
  std::vector<Switch> switches;
  std::vector<DeviceTemplate> templates;
  std::vector<Device> devices;
  Workload workload;
  HotplugPolicy hotplug;
  double duration_s = 60;
  std::optional<uint64_t> seed;

  const Port* find_port(const std::string& id) const;
  const DeviceTemplate* find_template(const std::string& name) const;
  std::vector<const Port*> all_ports() const;
};

Topology load_topology_file(const std::string& path);
Topology load_topology_text(const std::string& text, const std::string& source_name);
Topology load_default_topology();
const char* default_config_yaml();
// The topology as run, resolved (defaults filled in, seed set): written to runs/<id>/config.yaml.
std::string emit_topology_yaml(const Topology& t);

}  // namespace pcirig
