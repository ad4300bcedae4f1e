#include "bench/rig_bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "qemu/accel_probe.hpp"
#include "session/run_summary.hpp"
#include "util/median.hpp"

namespace pcirig {

namespace {
nlohmann::json medians_by_kind(const std::map<std::string, std::vector<double>>& by_kind) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [kind, v] : by_kind) j[kind] = median(v);
  return j;
}
}  // namespace

nlohmann::json bench_rig(const RigBenchOptions& opt) {
  nlohmann::json j;
  SessionOptions base = opt.base;
  base.status_line = false;
  base.topo.hotplug.enabled = true;
  const int boots = opt.boots;
  // KVM launch-to-user-space, when KVM works here at all.
  std::string why;
  double kvm = probe_boot("kvm", base.image.kernel, base.image.initramfs, 20, why);
  j["ready_seconds_kvm"] = kvm > 0 ? nlohmann::json(kvm) : nlohmann::json(nullptr);
  j["kvm_probe"] = why;
  // Launch-to-ready varies by a second from boot to boot under TCG (how the two
  // vCPUs take turns): the median over short boots of the same topology, plus
  // the two storm runs' boots. A clean boot's run directory is not kept.
  // Cold boots and restores from the tuple's snapshot (docs/rig.md "Snapshots") are
  // counted apart; a boot that took the snapshot counts as neither.
  std::vector<double> ready, guest_uptime, ready_snapshot, restore_only;
  auto add_ready = [&](const SessionOutcome& out) {
    if (out.ready_seconds <= 0) return;
    if (out.start_mode == "cold") {
      ready.push_back(out.ready_seconds);
      if (out.ready_guest_uptime > 0) guest_uptime.push_back(out.ready_guest_uptime);
    } else if (out.start_mode == "snapshot") {
      ready_snapshot.push_back(out.ready_seconds);
      restore_only.push_back(out.result["start"].value("restore_seconds", -1.0));
    }
  };
  for (bool snapshot : {false, true}) {
    for (int b = 0; b < boots + (snapshot ? 1 : 0); b++) {
      SessionOptions o = base;
      o.topo.hotplug.enabled = false;
      o.topo.duration_s = 1;
      o.snapshot = snapshot;
      o.tag = "bench-boot";
      auto out = run_session(o);
      add_ready(out);
      fmt::print("boot {}/{}: {} ready {:.2f} s (guest uptime {:.2f} s)\n", b + 1, boots, out.start_mode, out.ready_seconds,
                 out.ready_guest_uptime);
      if (snapshot && out.start_mode == "cold") j["snapshot_why_cold"] = out.result["start"];
      if (out.exit_code == 0) std::filesystem::remove_all(out.run_dir);
    }
  }
  std::vector<double> cpu, rss;
  for (std::string flavour : {"acpi", "native"}) {
    SessionOptions o = base;
    o.topo.hotplug.flavour = flavour;
    o.tag = "bench-" + flavour;
    auto out = run_session(o);
    print_run_summary(out);
    double minutes = out.storm_seconds / 60.0;
    add_ready(out);
    if (flavour == "acpi") {
      j["accel"] = out.result.value("accel", "");
      j["plug_ms"] = median(out.hotplug.plug_ms);
      j["unplug_ms_acpi"] = median(out.hotplug.unplug_ms);
      // Which kinds make the median: nvme's teardown is often several times virtio-net's.
      j["unplug_ms_acpi_by_kind"] = medians_by_kind(out.hotplug.unplug_ms_by_kind);
      j["cycles_per_minute"] = minutes > 0 ? out.hotplug.unplugged / minutes : 0;
      j["config_reads_per_second"] = median(out.reads_per_s);
      j["resets_per_second"] = median(out.resets_per_s);
      j["acpi_run"] = out.run_dir.string();
      j["acpi_result"] = out.result.value("result", "");
    } else {
      j["unplug_ms_native"] = median(out.hotplug.unplug_ms);
      j["unplug_ms_native_by_kind"] = medians_by_kind(out.hotplug.unplug_ms_by_kind);
      j["plug_ms_native"] = median(out.hotplug.plug_ms);
      j["cycles_per_minute_native"] = minutes > 0 ? out.hotplug.unplugged / minutes : 0;
      j["native_run"] = out.run_dir.string();
      j["native_result"] = out.result.value("result", "");
    }
    cpu.push_back(out.cpu_percent);
    rss.push_back(out.rss_mb);
  }
  j["ready_seconds"] = median(ready);
  j["ready_seconds_all"] = ready;
  j["ready_seconds_snapshot"] = median(ready_snapshot);
  j["ready_seconds_snapshot_all"] = ready_snapshot;
  // Of which: loading the snapshot until the guest runs (the rest: QEMU's start, the
  // agent's answer, and plugging the cold devices a snapshot cannot hold).
  j["restore_seconds_snapshot"] = median(restore_only);
  // The guest's uptime at ready: the rest of ready_seconds is QEMU start-up and firmware.
  j["ready_guest_uptime_seconds"] = median(guest_uptime);
  j["orchestrator_cpu_percent"] = median(cpu);
  j["orchestrator_rss_mb"] = *std::max_element(rss.begin(), rss.end());
  j["duration_seconds_per_flavour"] = base.topo.duration_s;
  return j;
}

}  // namespace pcirig
