#include "qemu/cmdline.hpp"

#include <fmt/format.h>

namespace pcirig {

// Above nvme's 30 s I/O timeout: a reset racing a hot-unplug legitimately waits that
// long for its requests (20 s under TCG flagged nvme_reset_work in
// blk_mq_freeze_queue_wait as hung), yet well under the kernel's 120 s default.
int hung_task_seconds(const std::string& accel) { return accel == "kvm" ? 40 : 75; }

std::string guest_cmdline(const Topology& t, const std::string& accel) {
  // panic_on_warn/oops=panic/panic=-1 + -no-reboot: the first report ends the run with
  // QEMU's exit, so the console holds exactly one crash. hung_task/softlockup panics make
  // those reports end the run too. pci=nomsi is NOT set: MSI paths are part of the race.
  std::string c = "console=ttyS0,115200 panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1 hung_task_panic=1 "
                  "nmi_watchdog=0 printk.devkmsg=on";
  // Debian's kernel runs the crypto self-tests at boot (FIPS build): ~0.3 s under TCG
  // for nothing the rig looks at. Other kernels ignore the parameter.
  c += " cryptomgr.notests";
  // A preset loops_per_jiffy: under TCG each secondary CPU's delay-loop calibration
  // fails its fast method and falls back to the slow one, 0.2-0.35 s of boot. udelay()
  // runs off the TSC, so the value only has to be plausible (a 2.5 GHz TSC at HZ=250);
  // a constant keeps the command line the same on every host.
  c += " lpj=10000000";
  // TCG's TSC is the host's, the same for every vCPU, but the kernel's warp check sees
  // the vCPUs take turns and falls back to the HPET: an emulated MMIO read for every
  // clock read, all run long. (KVM guests have kvm-clock and their own checks.)
  if (accel != "kvm") c += " tsc=reliable";
  // sysctl.* boot parameters (Linux >= 5.8): the default 120 s would outlast our watchdog.
  c += " sysctl.kernel.hung_task_timeout_secs=" + std::to_string(hung_task_seconds(accel));
  // The rig's hang check presses Alt-SysRq-w/d through QMP when the agent cannot run
  // it (its threads blocked too); Debian's kernel.sysrq (438) refuses dumps from the keyboard.
  c += " sysrq_always_enabled";
  if (t.iommu && t.cmdline_extra.find("intel_iommu=") == std::string::npos) c += " intel_iommu=on";
  if (!t.cmdline_extra.empty()) c += " " + t.cmdline_extra;
  return c;
}

std::string disk_node_for_device(const std::string& id) { return "disk-" + id; }

std::filesystem::path device_disk_file(const std::filesystem::path& dir, const std::string& id) {
  return dir / (id + ".img");
}

std::filesystem::path slot_disk_file(const std::filesystem::path& dir, const std::string& port) {
  return dir / ("slot-" + port + ".img");
}

std::vector<std::pair<const Device*, const DeviceTemplate*>> cold_disk_devices(const Topology& t) {
  std::vector<std::pair<const Device*, const DeviceTemplate*>> out;
  for (auto& d : t.devices)
    if (const DeviceTemplate* tm = t.find_template(d.tmpl); tm && needs_disk(tm->kind)) out.emplace_back(&d, tm);
  return out;
}

std::map<std::filesystem::path, int> disk_files(const Topology& t, const std::filesystem::path& dir) {
  std::map<std::filesystem::path, int> out;
  for (auto [d, tm] : cold_disk_devices(t)) out[device_disk_file(dir, d->id)] = tm->disk_mb;
  if (t.hotplug.enabled) {
    int mb = 0;
    for (auto& k : t.hotplug.kinds)
      if (auto tm = t.find_template(k); tm && needs_disk(tm->kind)) mb = std::max(mb, tm->disk_mb);
    if (mb > 0)
      for (auto& s : t.hotplug.slots) out[slot_disk_file(dir, s)] = mb;
  }
  return out;
}

nlohmann::json blockdev_add_args(const std::string& node, const std::filesystem::path& file) {
  return {{"driver", "raw"},
          {"node-name", node},
          {"file", {{"driver", "file"}, {"filename", file.string()}, {"locking", "off"}}}};
}

nlohmann::json device_add_args(const DeviceTemplate& tm, const std::string& id, const std::string& bus,
                               const std::string& disk_node) {
  nlohmann::json a = {{"driver", qemu_driver(tm.kind)}, {"id", id}, {"bus", bus}};
  if (tm.kind == DeviceKind::nvme) {
    a["drive"] = disk_node;
    a["serial"] = id.substr(0, 20);
  } else if (tm.kind == DeviceKind::virtio_blk) {
    a["drive"] = disk_node;
  } else {
    // No iPXE option ROM: the guest never network-boots, and SeaBIOS running it costs
    // boot time (and a 256 KiB ROM BAR per plug). A template's romfile= still wins.
    a["romfile"] = "";
  }
  for (auto& [k, v] : tm.props) a[k] = v;
  return a;
}

static std::string device_opt(const nlohmann::json& args) {
  std::string s = args.at("driver").get<std::string>();
  for (auto& [k, v] : args.items()) {
    if (k == "driver") continue;
    s += "," + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s;
}

std::vector<std::string> qemu_argv(const Topology& t, const LaunchSpec& spec) {
  // KVM's in-kernel irqchip can't do interrupt remapping: split it when there is an IOMMU.
  std::string machine = t.machine + (t.iommu && spec.accel == "kvm" ? ",kernel-irqchip=split" : "");
  std::vector<std::string> a = {spec.qemu, "-machine", machine};
  if (spec.accel == "kvm") {
    a.insert(a.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    // thread=single by default: thread=multi crashed QEMU 7.2 (msix_table_mmio_write
    // assertion) under concurrent resets. See docs/rig.md.
    a.insert(a.end(), {"-accel", "tcg,thread=" + t.tcg_thread});
  }
  // qboot: no option ROMs, no boot menu; Linux assigns what the firmware leaves alone.
  if (t.firmware == "qboot") a.insert(a.end(), {"-bios", "qboot.rom"});
  a.insert(a.end(), {"-smp", std::to_string(t.vcpus), "-m", std::to_string(t.memory_mb), "-nodefaults",
                     "-no-user-config", "-nographic", "-no-reboot", "-nic", "none"});
  if (!spec.ram_file.empty())
    a.insert(a.end(), {"-object",
                       fmt::format("memory-backend-file,id=pcirig-ram,size={}M,mem-path={},share={}", t.memory_mb,
                                   spec.ram_file.string(), spec.ram_shared ? "on" : "off"),
                       "-machine", "memory-backend=pcirig-ram"});
  if (t.hotplug.flavour == "native")
    a.insert(a.end(), {"-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"});
  a.insert(a.end(), {"-kernel", spec.kernel.string(), "-initrd", spec.initramfs.string(), "-append", guest_cmdline(t, spec.accel)});
  // The rig listens on these sockets before QEMU starts; QEMU connects as a client.
  a.insert(a.end(), {"-chardev", fmt::format("socket,id=qmp,path={}", spec.qmp_socket.string()), "-mon",
                     "chardev=qmp,mode=control"});
  a.insert(a.end(), {"-chardev", fmt::format("socket,id=con,path={}", spec.console_socket.string()), "-serial",
                     "chardev:con"});
  // Interrupt remapping on: vfio_iommu_type1 refuses VFIO_SET_IOMMU (EPERM) without it,
  // and busybox insmod can't pass allow_unsafe_interrupts from the cmdline.
  if (t.iommu) a.insert(a.end(), {"-device", "intel-iommu,intremap=on"});
  a.insert(a.end(), {"-device", "virtio-serial-pci,id=vser", "-chardev",
                     fmt::format("socket,id=agent,path={}", spec.agent_socket.string()), "-device",
                     "virtserialport,bus=vser.0,chardev=agent,name=pcirig.0"});
  // Cold-plugged disks only: the storm adds a node per plug over QMP.
  for (auto [d, tm] : cold_disk_devices(t)) {
    std::string node = disk_node_for_device(d->id);
    a.insert(a.end(), {"-blockdev", fmt::format("driver=file,filename={},node-name={}-file",
                                                device_disk_file(spec.disk_dir, d->id).string(), node),
                       "-blockdev", fmt::format("driver=raw,file={}-file,node-name={}", node, node)});
  }
  for (auto& rp : t.root_ports)
    a.insert(a.end(), {"-device", fmt::format("pcie-root-port,id={},bus=pcie.0,chassis={},slot={}{}", rp.id,
                                               rp.chassis, rp.slot, rp.hotplug ? "" : ",hotplug=off")});
  for (auto& sw : t.switches) {
    a.insert(a.end(), {"-device", fmt::format("x3130-upstream,id={},bus={}", sw.id, sw.bus)});
    for (auto& dp : sw.downstream)
      a.insert(a.end(), {"-device", fmt::format("xio3130-downstream,id={},bus={},chassis={},slot={}{}", dp.id, sw.id,
                                                 dp.chassis, dp.slot, dp.hotplug ? "" : ",hotplug=off")});
  }
  for (auto& d : t.devices) {
    const DeviceTemplate* tm = t.find_template(d.tmpl);
    a.insert(a.end(), {"-device", device_opt(device_add_args(*tm, d.id, d.bus, disk_node_for_device(d.id)))});
  }
  return a;
}
}  // namespace pcirig
