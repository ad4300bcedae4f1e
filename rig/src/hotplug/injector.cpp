#include "hotplug/injector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

#include "qemu/cmdline.hpp"
#include "util/clock.hpp"

namespace pcirig {

const char* to_string(SlotState s) {
  switch (s) {
    case SlotState::empty: return "empty";
    case SlotState::adding: return "adding";
    case SlotState::present: return "present";
    case SlotState::deleting: return "deleting";
  }
  return "?";
}

std::vector<ReplayOp> replay_ops_from_journal(const std::string& text) {
  std::vector<ReplayOp> ops;
  std::istringstream in(text);
  std::string line;
  double storm_t0 = -1;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    // An edited or foreign journal: a field of another type counts as absent (value() would throw).
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    std::string ev = str("ev");
    double t = j.contains("t") && j["t"].is_number() ? j["t"].get<double>() : 0.0;
    if (ev == "storm_start") storm_t0 = t;
    if (ev == "plug" || ev == "unplug") {
      ReplayOp op;
      op.t = storm_t0 >= 0 ? t - storm_t0 : t;
      // The replay sleeps until op.t in integer microseconds: no time a run can have had, no op.
      if (!std::isfinite(op.t) || std::fabs(op.t) > 1e9) continue;
      op.action = ev;
      op.slot = str("slot");
      op.kind = str("kind");
      ops.push_back(op);
    }
  }
  return ops;
}

// The PCI IDs the agent will report for a kind, for matching when it can't name the slot.
static bool dev_matches_kind(const nlohmann::json& dev, DeviceKind k) {
  std::string v = dev.value("vendor", ""), d = dev.value("device", "");
  switch (k) {
    case DeviceKind::virtio_net: return v == "0x1af4" && (d == "0x1041" || d == "0x1000");
    case DeviceKind::virtio_blk: return v == "0x1af4" && (d == "0x1042" || d == "0x1001");
    case DeviceKind::e1000e: return v == "0x8086" && d == "0x10d3";
    case DeviceKind::nvme: return v == "0x1b36" && d == "0x0010";
  }
  return false;
}

Injector::Injector(asio::any_io_executor ex, const Topology& topo, QmpClient& qmp, AgentChannel& agent, RunDir& run,
                   uint64_t seed, double time_scale, std::filesystem::path disk_dir)
    : ex_(std::move(ex)), topo_(topo), qmp_(qmp), agent_(agent), run_(run),
      rng_(seed ^ 0x9e3779b97f4a7c15ull),  // a stream of its own: the agent's workload uses the plain seed
      scale_(time_scale), disk_dir_(std::move(disk_dir)) {
  for (auto& s : topo.hotplug.slots) {
    Slot slot;
    slot.port = topo.find_port(s);
    slots_.push_back(slot);
  }
}

size_t Injector::slot_index(const std::string& port) const {
  for (size_t i = 0; i < slots_.size(); i++)
    if (slots_[i].port->id == port) return i;
  return slots_.size();
}

void Injector::set_state(size_t i, SlotState s) {
  slots_[i].state = s;
  slots_[i].since = mono_seconds();
}

void Injector::start() {
  if (slots_.empty() || topo_.hotplug.kinds.empty() || running_) return;
  if (!agent_.ready()) throw std::logic_error("hot-plug storm started before the agent was ready");
  running_ = true;
  storm_t0_ = mono_seconds();
  nlohmann::json slots = nlohmann::json::array();
  for (auto& s : slots_) slots.push_back(s.port->id);
  run_.journal("storm_start", {{"flavour", topo_.hotplug.flavour}, {"slots", slots}, {"kinds", topo_.hotplug.kinds},
                               {"replay", replaying_}});
  asio::co_spawn(ex_, replaying_ ? replay_loop() : storm_loop(), asio::detached);
}

void Injector::stop() {
  if (!running_) return;
  running_ = false;
  run_.journal("storm_stop", {{"plugged", c_.plugged}, {"unplugged", c_.unplugged}});
}

asio::awaitable<void> Injector::sleep_ms(double ms) {
  asio::steady_timer t(ex_, std::chrono::microseconds(int64_t(ms * 1000)));
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> Injector::release_disk(const std::string& port, const std::string& device_id) {
  json args = json::object();
  args["node-name"] = disk_node_for_device(device_id);
  QmpResult r = co_await qmp_.execute("blockdev-del", args, std::chrono::milliseconds(int64_t(5000 * scale_)));
  if (r.ok || r.disconnected) co_return;
  // Still attached: QEMU unparented the device without finalizing it. The node
  // stays with it; the slot's next block device gets a new one.
  c_.disk_nodes_kept++;
  run_.journal("disk_node_kept", {{"slot", port}, {"device", device_id}, {"error", r.describe()}});
}

asio::awaitable<void> Injector::dump_blocked_tasks(const std::string& port, const std::string& device_id) {
  // What the guest is stuck on is the useful part of an unplug that never ends: the
  // kernel's own list of D-state tasks with their stacks (sysrq w), on the console
  // beside everything else. A few per run; more would only repeat the first.
  if (blocked_dumps_ >= kMaxBlockedDumps || !agent_.connected()) co_return;
  blocked_dumps_++;
  json args = json::object();
  args["argv"] = {"/bin/sh", "-c", "echo w > /proc/sysrq-trigger"};
  auto r = co_await agent_.command("exec", args, std::chrono::milliseconds(int64_t(5000 * scale_)));
  run_.journal("blocked_tasks_dumped", {{"slot", port}, {"device", device_id}, {"ok", r.ok && r.msg.value("ok", false)}});
}

asio::awaitable<void> Injector::storm_loop() {
  const auto& hp = topo_.hotplug;
  while (running_) {
    // Both draws every tick, whatever the slot's state: the stream stays aligned.
    size_t i = size_t(rng_() % slots_.size());
    const std::string kind = hp.kinds[size_t(rng_() % hp.kinds.size())];
    Slot& s = slots_[i];
    double age_ms = (mono_seconds() - s.since) * 1000;
    if (s.state == SlotState::empty) {
      asio::co_spawn(ex_, plug(i, kind), asio::detached);
    } else if (s.state == SlotState::present && age_ms >= hp.min_present_ms) {
      asio::co_spawn(ex_, unplug(i), asio::detached);
    }
    co_await sleep_ms(hp.interval_ms);
  }
}

asio::awaitable<void> Injector::replay_loop() {
  while (running_ && replay_pos_ < replay_.size()) {
    const ReplayOp& op = replay_[replay_pos_];
    size_t i = slot_index(op.slot);
    if (i == slots_.size()) {
      run_.journal("replay_skip", {{"slot", op.slot}, {"why", "slot not in this topology"}});
      replay_pos_++;
      continue;
    }
    double due = storm_t0_ + op.t;
    if (mono_seconds() < due) co_await sleep_ms((due - mono_seconds()) * 1000);
    // Wait (bounded) for the slot to be where the recorded run had it.
    SlotState need = op.action == "plug" ? SlotState::empty : SlotState::present;
    double give_up = mono_seconds() + 30 * scale_;
    while (running_ && slots_[i].state != need && mono_seconds() < give_up) co_await sleep_ms(20);
    if (!running_) break;
    if (slots_[i].state != need) {
      run_.journal("replay_skip", {{"slot", op.slot}, {"action", op.action}, {"why", "slot state never matched"}});
    } else if (op.action == "plug") {
      asio::co_spawn(ex_, plug(i, op.kind), asio::detached);
    } else {
      asio::co_spawn(ex_, unplug(i), asio::detached);
    }
    replay_pos_++;
    co_await sleep_ms(1);
  }
  if (running_) run_.journal("replay_done", {{"ops", replay_.size()}});
}

asio::awaitable<void> Injector::plug(size_t i, std::string kind) {
  Slot& s = slots_[i];
  const DeviceTemplate* tm = topo_.find_template(kind);
  std::string id = fmt::format("{}-{}-{}", s.port->id, kind, ++serial_);
  std::string slotno = std::to_string(s.port->slot);
  set_state(i, SlotState::adding);
  s.device_id = id;
  s.kind = kind;
  in_flight_++;
  c_.plugs++;
  run_.journal("plug", {{"slot", s.port->id}, {"kind", kind}, {"device", id}});
  // Registered before device_add: the agent may see the function before QMP replies.
  DeviceKind dk = tm->kind;
  auto seen = agent_.expect([slotno, dk](const json& m) {
    if (m.value("type", "") != "pci" || m.value("event", "") != "add" || !m.contains("dev")) return false;
    const json& dev = m["dev"];
    // pciehp names the slot by its physical number; acpiphp (no _SUN from QEMU) names
    // them "0", "0-2", ...: then the kind's PCI IDs have to do.
    if (dev.contains("slot") && dev["slot"].is_string() && dev["slot"].get<std::string>() == slotno) return true;
    return dev_matches_kind(nlohmann::json::parse(dev.dump()), dk);
  });
  const auto timeout = std::chrono::milliseconds(int64_t(5000 * scale_));
  // A block device gets a node of its own, so one QEMU never finalizes (no
  // DEVICE_DELETED) strands only that node, not the slot.
  const std::string node = needs_disk(dk) ? disk_node_for_device(id) : "";
  QmpResult r;
  bool node_added = false;
  if (!node.empty()) {
    r = co_await qmp_.execute("blockdev-add", blockdev_add_args(node, slot_disk_file(disk_dir_, s.port->id)), timeout);
    node_added = r.ok;
  }
  double t0 = mono_seconds();  // plug latency counts from device_add, not blockdev-add
  if (node.empty() || node_added)
    r = co_await qmp_.execute("device_add", device_add_args(*tm, id, s.port->id, node), timeout);
  if (!r.ok) {
    agent_.cancel(seen);
    c_.plug_failures++;
    run_.journal("plug_failed", {{"slot", s.port->id}, {"device", id}, {"error", r.describe()}});
    if (node_added) co_await release_disk(s.port->id, id);
    set_state(i, SlotState::empty);
    in_flight_--;
    co_return;
  }
  double qmp_ms = (mono_seconds() - t0) * 1000;
  auto hit = co_await agent_.wait(seen, std::chrono::milliseconds(int64_t(2500 * scale_)));
  double ms = (mono_seconds() - t0) * 1000;
  c_.plugged++;
  c_.plugged_by_kind[kind]++;
  if (hit) {
    c_.agent_saw_add++;
    c_.plug_ms.push_back(ms);
    run_.journal("plugged", {{"slot", s.port->id}, {"device", id}, {"qmp_ms", qmp_ms}, {"agent_ms", ms},
                             {"bdf", (*hit)["dev"].value("bdf", "")}});
  } else {
    run_.journal("plugged", {{"slot", s.port->id}, {"device", id}, {"qmp_ms", qmp_ms}, {"agent_ms", nullptr}});
  }
  set_state(i, SlotState::present);
  in_flight_--;
}

asio::awaitable<void> Injector::unplug(size_t i) {
  Slot& s = slots_[i];
  const std::string id = s.device_id, port = s.port->id, kind = s.kind;
  const bool native = topo_.hotplug.flavour == "native";
  set_state(i, SlotState::deleting);
  in_flight_++;
  c_.unplugs++;
  run_.journal("unplug", {{"slot", port}, {"device", id}, {"kind", kind}});
  auto deleted = qmp_.expect_device_deleted(id);
  double t0 = mono_seconds();
  const double wait_s = (native ? (topo_.hotplug.native_power_off ? 4.0 : 8.0) : 2.0) * scale_;
  bool sent = false, gone = false, unconfirmed = false;
  for (int attempt = 0; attempt < 200 && !sent; attempt++) {
    json del_args = json::object();
    del_args["id"] = id;
    QmpResult r = co_await qmp_.execute("device_del", del_args, std::chrono::milliseconds(int64_t(5000 * scale_)));
    if (r.ok) {
      sent = true;
      break;
    }
    if (r.disconnected || r.timed_out) {
      run_.journal("unplug_failed", {{"slot", port}, {"device", id}, {"error", r.describe()}});
      break;
    }
    if (r.error_class == "DeviceNotFound") {
      // Gone from QEMU's tree without a DEVICE_DELETED we saw (a guest-side eject that
      // finished after our last wait, or a device unparented but never finalized): the
      // slot is free for the storm, but there is no latency to count.
      gone = unconfirmed = true;
      break;
    }
    if (r.error_desc.find("guest is busy") != std::string::npos) {
      // pciehp refuses while the power indicator blinks (~100 ms after bind).
      c_.busy_retries++;
      co_await sleep_ms(50);
      continue;
    }
    if (r.error_desc.find("already in the process of unplug") != std::string::npos) {
      // A request is pending (native: it expires after 5 s); wait for it, then ask again.
      c_.pending_retries++;
      run_.journal("unplug_pending", {{"slot", port}, {"device", id}});
      if (co_await qmp_.wait(deleted, std::chrono::milliseconds(int64_t(6000 * scale_)))) {
        gone = true;
        break;
      }
      deleted = qmp_.expect_device_deleted(id);
      continue;
    }
    run_.journal("unplug_failed", {{"slot", port}, {"device", id}, {"error", r.describe()}});
    break;
  }
  if (sent && native && topo_.hotplug.native_power_off && agent_.connected()) {
    // Skip pciehp's 5 s attention-button wait: the guest powers the slot off itself.
    json power = json::object();
    power["slot"] = std::to_string(s.port->slot);
    power["on"] = false;
    auto pr = co_await agent_.command("slot_power", power, std::chrono::milliseconds(int64_t(3000 * scale_)));
    run_.journal("slot_power", {{"slot", port}, {"ok", pr.ok && pr.msg.value("ok", false)},
                                {"error", pr.ok ? pr.msg.value("error", "") : std::string(pr.timed_out ? "timeout" : "no reply")}});
  }
  if (sent) gone = (co_await qmp_.wait(deleted, std::chrono::milliseconds(int64_t(wait_s * 1000)))).has_value();
  else qmp_.cancel(deleted);
  double ms = (mono_seconds() - t0) * 1000;
  if (gone) {
    c_.unplugged++;
    c_.unplugged_by_kind[kind]++;
    if (unconfirmed) {
      c_.unplug_unconfirmed++;
      run_.journal("unplugged", {{"slot", port}, {"device", id}, {"ms", nullptr}, {"confirmed", false}});
    } else {
      c_.unplug_ms.push_back(ms);
      c_.unplug_ms_by_kind[kind].push_back(ms);
      run_.journal("unplugged", {{"slot", port}, {"device", id}, {"ms", ms}});
    }
    if (needs_disk(topo_.find_template(kind)->kind)) co_await release_disk(port, id);
    s.device_id.clear();
    set_state(i, SlotState::empty);
  } else if (!qmp_.connected()) {
    // The run is ending (QMP closed under us): not the guest's fault.
    run_.journal("unplug_abandoned", {{"slot", port}, {"device", id}, {"ms", ms}});
    set_state(i, SlotState::present);
  } else {
    c_.unplug_timeouts++;
    run_.journal("unplug_timeout", {{"slot", port}, {"device", id}, {"ms", ms}, {"sent", sent}});
    if (sent) co_await dump_blocked_tasks(port, id);
    set_state(i, SlotState::present);  // still there as far as we know: a later tick retries
  }
  in_flight_--;
}
}  // namespace pcirig
