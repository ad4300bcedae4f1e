// One run: QEMU up, QMP + console + agent served in one Asio loop, workload and storm
// for the duration, then a verdict (clean | kernel_crash | infra) in result.json.
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "hotplug/injector.hpp"
#include "images/kernel_image.hpp"

namespace pcirig {

class Session;

// False when PCIRIG_SNAPSHOT=0 (set by --no-snapshot, inherited by a campaign's children).
bool snapshots_enabled_by_env();

struct SessionOptions {
  Topology topo;
  KernelImage image;
  std::string accel;                 // "" = the topology's machine.accel
  std::filesystem::path runs_dir = "runs";
  std::string tag;                   // appended to the run id (nightly, bench)
  bool status_line = false;          // live status on stderr
  std::optional<std::vector<ReplayOp>> replay;
  // Longest line kept from the console, agent and QMP (docs/rig.md "Hostile input").
  // Tests lower it: a TCG guest's serial port writes ~35 KB/s.
  size_t max_input_line = size_t(1) << 20;
  // Start from a VM snapshot of this (kernel, initramfs, topology, machine) tuple when
  // one exists, else take one at agent-ready for the next run (rig/src/snapshot/).
  // Off with --no-snapshot or PCIRIG_SNAPSHOT=0.
  bool snapshot = snapshots_enabled_by_env();
  std::filesystem::path snapshot_dir;  // "" = $PCIRIG_CACHE/snapshots
  // Tests: called once the agent is ready (and the workload started).
  std::function<void(Session&)> on_ready;
};

struct SessionOutcome {
  int exit_code = 2;                 // 0 clean, 1 kernel crash, 2 infrastructure
  nlohmann::json result;             // as written to result.json
  std::filesystem::path run_dir;
  // Measures for `pcirig bench`.
  double ready_seconds = -1;         // QEMU started -> agent ready (restored, cold devices plugged)
  std::string start_mode;            // cold | snapshot_taken | snapshot (result.json "start")
  std::string snapshot_key;
  double ready_guest_uptime = -1;    // the guest's own uptime in the agent's ready message
  HotplugCounters hotplug;
  std::vector<double> reads_per_s, resets_per_s;  // per stats interval
  double storm_seconds = 0;
  double cpu_percent = 0;            // the rig's own CPU over the run, % of one core
  double rss_mb = 0;
};

SessionOutcome run_session(const SessionOptions& opts);

// Handle the tests get in on_ready.
class Session {
 public:
  virtual ~Session() = default;
  virtual void qemu_signal(int sig) = 0;
  virtual std::filesystem::path run_dir() const = 0;
  virtual void request_stop(const std::string& why) = 0;
  // Ask the agent to run a program in the guest (contract `exec`); the reply is journaled.
  virtual void agent_exec(const std::vector<std::string>& argv) = 0;
};
}  // namespace pcirig
