// One guest run that forms a real deadlock with the crash test module (guest-images/
// testmod: deadlock_abba, deadlock_rwsem, deadlock_cycle3) under a resetting workload,
// for the rig's hang tests and `pcirig bench hang`. Lock A of each deadlock is the
// device lock of the one function under rp1 (0000:01:00.0), which the resetter resets:
// once the deadlock forms, resets stop, and that is the sign the rig acts on.
#pragma once
#include <filesystem>
#include <string>

#include "images/kernel_image.hpp"
#include "session/session.hpp"

namespace pcirig {

struct DeadlockRun {
  SessionOutcome outcome;
  double formed_t = -1;     // journal time the trigger returned ("formed"); -1: it did not
  double reported_t = -1;   // journal time of hang_reported; -1: none
  std::string title, cycle;
  bool deadlock_named = false;
  std::string detected_by;  // "rig", "kernel", "" (no crash)
};

// The topology: one virtio-net under rp1, a reader and a resetter on it, no hot-plug.
std::string deadlock_topology_yaml(uint64_t seed, int duration_s);
// The guest command: load the module, let the workload run `delay_s`, trigger KIND on
// the function under rp1.
std::vector<std::string> deadlock_trigger_argv(const std::string& kind, int delay_s);

DeadlockRun run_deadlock(const std::string& kind, const KernelImage& image, const std::filesystem::path& runs_dir,
                         uint64_t seed, int duration_s = 120);
}  // namespace pcirig
