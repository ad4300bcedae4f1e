// The hot-plug storm. One state machine per slot (empty -> adding -> present ->
// deleting -> empty), decisions drawn from the run's seeded PRNG in one loop (so the
// decision sequence is a function of the seed), the actions themselves concurrent per
// slot (a native unplug takes seconds; other slots go on). Never starts before the
// agent said ready. Every step goes to the event journal; a replay follows the
// journal's plug/unplug sequence instead of the PRNG.
#pragma once
#include <boost/asio.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agentlink/agent_channel.hpp"
#include "config/topology.hpp"
#include "qmp/qmp_client.hpp"
#include "report/run_dir.hpp"

namespace pcirig {

enum class SlotState { empty, adding, present, deleting };
const char* to_string(SlotState s);

struct ReplayOp {
  double t = 0;          // seconds after the storm started, as recorded
  std::string action;    // plug | unplug
  std::string slot;      // port id
  std::string kind;      // template (plug)
};
// The plug/unplug decisions of a recorded journal.jsonl, in order.
std::vector<ReplayOp> replay_ops_from_journal(const std::string& journal_text);

struct HotplugCounters {
  int64_t plugs = 0, plugged = 0, plug_failures = 0, agent_saw_add = 0;
  int64_t unplugs = 0, unplugged = 0, unplug_timeouts = 0, busy_retries = 0, pending_retries = 0;
  int64_t unplug_unconfirmed = 0;  // QEMU no longer knew the id, and no DEVICE_DELETED was seen
  int64_t disk_nodes_kept = 0;     // blockdev-del refused after an unplug (a stranded device holds it)
  std::vector<double> plug_ms;     // device_add sent -> the agent reports the function
  std::vector<double> unplug_ms;   // device_del sent -> DEVICE_DELETED
  std::map<std::string, std::vector<double>> unplug_ms_by_kind;  // the same, per template
  std::map<std::string, int64_t> plugged_by_kind, unplugged_by_kind;
};

class Injector {
 public:
  Injector(asio::any_io_executor ex, const Topology& topo, QmpClient& qmp, AgentChannel& agent, RunDir& run,
           uint64_t seed, double time_scale, std::filesystem::path disk_dir);
  void start();  // the agent must be ready
  void stop();   // no new decisions; actions in flight finish or are abandoned
  void set_replay(std::vector<ReplayOp> ops) { replay_ = std::move(ops); replaying_ = true; }
  const HotplugCounters& counters() const { return c_; }
  bool replay_done() const { return replaying_ && replay_pos_ >= replay_.size(); }
  int in_flight() const { return in_flight_; }

 private:
  struct Slot {
    const Port* port;
    SlotState state = SlotState::empty;
    std::string device_id, kind;
    double since = 0;
  };
  asio::awaitable<void> storm_loop();
  asio::awaitable<void> replay_loop();
  asio::awaitable<void> plug(size_t i, std::string kind);
  asio::awaitable<void> unplug(size_t i);
  asio::awaitable<void> sleep_ms(double ms);
  asio::awaitable<void> release_disk(const std::string& port, const std::string& device_id);
  asio::awaitable<void> dump_blocked_tasks(const std::string& port, const std::string& device_id);
  void set_state(size_t i, SlotState s);
  size_t slot_index(const std::string& port) const;

  asio::any_io_executor ex_;
  const Topology& topo_;
  QmpClient& qmp_;
  AgentChannel& agent_;
  RunDir& run_;
  std::mt19937_64 rng_;
  double scale_;
  std::filesystem::path disk_dir_;
  std::vector<Slot> slots_;
  HotplugCounters c_;
  bool running_ = false;
  int64_t serial_ = 0;
  int in_flight_ = 0;
  static constexpr int kMaxBlockedDumps = 3;
  int blocked_dumps_ = 0;
  double storm_t0_ = 0;
  bool replaying_ = false;
  std::vector<ReplayOp> replay_;
  size_t replay_pos_ = 0;
};
}  // namespace pcirig
