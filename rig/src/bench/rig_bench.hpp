// bench rig: launch-to-ready (cold, from the tuple's snapshot, and KVM where it
// works), plug and unplug latency per flavour, hot-plug cycles per minute, the
// guest's rates, and the orchestrator's CPU and memory. Prints each run as it ends.
#pragma once
#include <nlohmann/json.hpp>

#include "session/session.hpp"

namespace pcirig {

struct RigBenchOptions {
  SessionOptions base;  // the topology (its duration: each storm run's), kernel, runs directory
  int boots = 5;        // extra boot-only runs for the launch-to-ready medians
};

nlohmann::json bench_rig(const RigBenchOptions& o);

}  // namespace pcirig
