// QEMU's command line from a topology. Pure: tests check it without starting QEMU.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "nlohmann/json.hpp"

namespace pcirig {

struct LaunchSpec {
  std::string qemu = "qemu-system-x86_64";
  std::string accel = "tcg";                       // resolved: kvm | tcg
  std::filesystem::path kernel, initramfs;
  std::filesystem::path qmp_socket, console_socket, agent_socket;  // the rig listens, QEMU connects
  std::filesystem::path disk_dir;                  // backing files live here
};

// The guest's kernel command line: console on ttyS0, every oops/warn a panic, panic
// straight to QEMU's exit (-no-reboot), then the topology's extras.
std::string guest_cmdline(const Topology& t, const std::string& accel = "tcg");
// The guest's hung-task timeout (set on the cmdline): a task in D state this long is
// reported (and, with hung_task_panic, ends the run as a kernel crash).
int hung_task_seconds(const std::string& accel);
// loops_per_jiffy preset for the guest (lpj=), from the host TSC at HZ=250.
long preset_lpj();

// Block node for a cold-plugged disk device or a hot-plug slot (one per slot is
// enough: a slot holds one device at a time, and -blockdev nodes outlive device_del).
std::string disk_node_for_device(const std::string& device_id);
std::string disk_node_for_slot(const std::string& port_id);
// node name -> (backing file, size MiB) the rig must create before launch.
std::map<std::string, std::pair<std::filesystem::path, int>> disk_backings(const Topology& t, const std::filesystem::path& dir);

// device_add arguments for one device of template `tm` with id `id` on port `bus`.
nlohmann::json device_add_args(const DeviceTemplate& tm, const std::string& id, const std::string& bus,
                               const std::string& disk_node);

std::vector<std::string> qemu_argv(const Topology& t, const LaunchSpec& spec);
}  // namespace pcirig
