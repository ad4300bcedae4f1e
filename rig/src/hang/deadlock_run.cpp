#include "hang/deadlock_run.hpp"

#include <fmt/format.h>

#include "config/topology.hpp"
#include "util/line_log.hpp"

namespace pcirig {

std::string deadlock_topology_yaml(uint64_t seed, int duration_s) {
  return fmt::format(R"(
machine: {{vcpus: 2, memory_mb: 1024, accel: tcg}}
topology:
  root_ports:
    - {{id: rp1, slot: 1}}
templates:
  net: {{driver: virtio-net-pci}}
devices:
  - {{id: net0, template: net, bus: rp1}}
workload: {{readers: 1, resetters: 1, reset_interval_ms: 20}}
hotplug: {{enabled: false}}
duration: {}s
seed: {}
)",
                     duration_s, seed);
}

std::vector<std::string> deadlock_trigger_argv(const std::string& kind, int delay_s) {
  return {"/bin/sh", "-c",
          fmt::format("sleep {}; insmod /lib/modules/pcirig/pcirig_crashtest.ko; "
                      "echo '{} 0000:01:00.0' >/sys/kernel/debug/pcirig_crashtest/trigger",
                      delay_s, kind)};
}

DeadlockRun run_deadlock(const std::string& kind, const KernelImage& image, const std::filesystem::path& runs_dir,
                         uint64_t seed, int duration_s) {
  SessionOptions o;
  o.topo = load_topology_text(deadlock_topology_yaml(seed, duration_s), "deadlock.yaml");
  o.image = image;
  o.runs_dir = runs_dir;
  o.tag = kind;
  o.on_ready = [&kind](Session& s) { s.agent_exec(deadlock_trigger_argv(kind, 3)); };
  DeadlockRun d;
  d.outcome = run_session(o);
  // The journal's times: the trigger's reply (it returns once the deadlock formed) and the report.
  std::string journal = read_file_text(d.outcome.run_dir / "journal.jsonl");
  size_t pos = 0;
  while (pos < journal.size()) {
    size_t nl = journal.find('\n', pos);
    if (nl == std::string::npos) nl = journal.size();
    auto j = nlohmann::json::parse(journal.substr(pos, nl - pos), nullptr, false);
    pos = nl + 1;
    if (!j.is_object()) continue;
    std::string ev = j.value("ev", "");
    if (ev == "agent_exec_reply" && j.value("ok", false) && j.contains("reply") && j["reply"].is_object() &&
        j["reply"].value("ok", false))
      d.formed_t = j.value("t", -1.0);
    if (ev == "hang_reported") d.reported_t = j.value("t", -1.0);
  }
  const auto& r = d.outcome.result;
  if (r.contains("crash")) {
    d.title = r["crash"].value("title", "");
    d.detected_by = r["crash"].value("detected_by", "");
    if (r["crash"].contains("hang")) {
      d.cycle = r["crash"]["hang"].value("cycle", "");
      d.deadlock_named = r["crash"]["hang"].value("deadlock", false) && !d.cycle.empty();
    }
  }
  return d;
}
}  // namespace pcirig
