// The first sign of a hang from the agent's counters: a kind of worker the workload runs
// whose counters (work done, errors and vanished devices alike) stop moving while the
// agent still sends its stats every second. Pure: fed the stats, answers what stalled.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "agentlink/agent_channel.hpp"
#include "config/topology.hpp"

namespace pcirig {

struct Stall {
  std::string counter;   // "config_reads", "resets", "rescans", "binds", "vfio_cycles"
  double seconds = 0;    // since it last moved
};

class ProgressWatch {
 public:
  ProgressWatch(const Workload& w, double stall_seconds) : w_(w), stall_(stall_seconds) {}
  // One stats message at host time `now`. A stall is answered once, then again only
  // after that counter has moved.
  std::optional<Stall> feed(double now, const AgentStats& s);
  // Sum of the counters of one kind (for "did it move since").
  static int64_t progress(const AgentStats& s, const std::string& counter);

 private:
  struct Track {
    int64_t value = -1;
    double since = 0;
    bool reported = false;
  };
  Workload w_;
  double stall_;
  std::map<std::string, Track> tracks_;
};
}  // namespace pcirig
