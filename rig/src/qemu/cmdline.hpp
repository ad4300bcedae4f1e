// QEMU's command line from a topology. Pure: tests check it without starting QEMU.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <utility>
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
  // Guest RAM in a file (snapshots): a shared mapping while a snapshot is taken, so
  // the migration stream leaves RAM out (x-ignore-shared) and the file is the RAM
  // image; a private (copy-on-write) mapping of the snapshot's file on a restore, so
  // the guest's pages come in as it touches them instead of through the stream.
  std::filesystem::path ram_file;
  bool ram_shared = false;
};

// The guest's kernel command line: console on ttyS0, every oops/warn a panic, panic
// straight to QEMU's exit (-no-reboot), then the topology's extras.
std::string guest_cmdline(const Topology& t, const std::string& accel = "tcg");
// The guest's hung-task timeout (set on the cmdline): a task in D state this long is
// reported (and, with hung_task_panic, ends the run as a kernel crash).
int hung_task_seconds(const std::string& accel);

// Block node of a disk device, cold- or hot-plugged: one per device, so a device
// QEMU unparents without finalizing strands only its own node, never its slot.
std::string disk_node_for_device(const std::string& device_id);
// The cold-plugged devices that need a disk (nvme, virtio-blk), with their templates.
std::vector<std::pair<const Device*, const DeviceTemplate*>> cold_disk_devices(const Topology& t);
// The backing file of a cold-plugged disk device.
std::filesystem::path device_disk_file(const std::filesystem::path& dir, const std::string& device_id);
// The backing file every block device plugged into a storm slot writes to.
std::filesystem::path slot_disk_file(const std::filesystem::path& dir, const std::string& port_id);
// Backing files (path -> size MiB) the rig creates before launch: one per
// cold-plugged disk device, one per storm slot when the storm plugs block kinds.
std::map<std::filesystem::path, int> disk_files(const Topology& t, const std::filesystem::path& dir);
// blockdev-add arguments for a raw node on `file`. File locking is off: a stranded
// node of an earlier device may still have the slot's file open.
nlohmann::json blockdev_add_args(const std::string& node, const std::filesystem::path& file);

// device_add arguments for one device of template `tm` with id `id` on port `bus`.
nlohmann::json device_add_args(const DeviceTemplate& tm, const std::string& id, const std::string& bus,
                               const std::string& disk_node);

std::vector<std::string> qemu_argv(const Topology& t, const LaunchSpec& spec);
}  // namespace pcirig
