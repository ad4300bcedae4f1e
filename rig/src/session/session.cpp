#include "session/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cmath>
#include <fstream>
#include <thread>

#include "agentlink/agent_channel.hpp"
#include "cli/status_line.hpp"
#include "console/console_reader.hpp"
#include "console/crash_title.hpp"
#include "hang/hang_watch.hpp"
#include "hang/progress_watch.hpp"
#include "qemu/accel_probe.hpp"
#include "qemu/cmdline.hpp"
#include "qemu/qemu_process.hpp"
#include "qmp/qmp_client.hpp"
#include "report/input_journal.hpp"
#include "kconfig/config_check.hpp"
#include "report/load_sampler.hpp"
#include "report/run_dir.hpp"
#include "snapshot/snapshot_key.hpp"
#include "snapshot/snapshot_plan.hpp"
#include "snapshot/snapshot_ram.hpp"
#include "snapshot/snapshot_steps.hpp"
#include "snapshot/snapshot_store.hpp"
#include "util/clock.hpp"
#include "util/duration.hpp"
#include "util/private_dir.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace pcirig {

// Set by the run's SIGINT/SIGTERM handler; also read by housekeeping so a signal that
// lands while a step is blocked still ends the run.
static std::atomic<int> g_interrupt_signal{0};

namespace {

double cpu_seconds_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) {
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=,./:@+") == std::string::npos;
    s += (s.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return s;
}

// Cause of the end of a run, first one wins.
struct Cause {
  std::string kind;       // duration | interrupted | qemu_exit | qmp_lost | guest_silent | boot_failed | disk_full | kernel_report | hang | agent_lost | setup | snapshot_restore_failed
  nlohmann::json detail = nlohmann::json::object();
};

class SessionImpl : public Session {
 public:
  explicit SessionImpl(const SessionOptions& o)
      : o_(o), topo_(o.topo), signals_(ctx_, SIGINT, SIGTERM), wake_(ctx_), qemu_(ctx_.get_executor()) {}

  SessionOutcome run();

  void qemu_signal(int sig) override { qemu_.signal(sig); }
  fs::path run_dir() const override { return run_->path(); }
  void request_stop(const std::string& why) override { finish({"requested", {{"why", why}}}); }
  void agent_exec(const std::vector<std::string>& argv) override {
    run_->journal("agent_exec", {{"argv", argv}});
    asio::co_spawn(ctx_, [this, argv]() -> asio::awaitable<void> {
      json fields = json::object();
      fields["argv"] = argv;
      auto r = co_await agent_->command("exec", fields, std::chrono::milliseconds(int64_t(10000 * scale_)));
      run_->journal("agent_exec_reply", {{"ok", r.ok}, {"reply", r.ok ? nlohmann::json::parse(r.msg.dump()) : nlohmann::json(nullptr)}});
    }, asio::detached);
  }

 private:
  asio::awaitable<void> main_loop();
  asio::awaitable<bool> boot_or_restore();
  asio::awaitable<bool> after_ready();  // take the snapshot, plug what it cannot hold, settle
  asio::awaitable<bool> settle();
  asio::awaitable<bool> plug_after_start();
  int64_t adds_before_plug_ = -1;
  double plug_started_ = 0;
  void plan_start(const LaunchSpec& spec);
  asio::awaitable<bool> accept_all();
  asio::awaitable<void> pause(double seconds);  // woken early by finish()
  asio::awaitable<void> teardown();
  void finish(Cause c);
  void housekeeping();
  asio::awaitable<void> watchdog();
  nlohmann::json classify();
  void write_meta();

  const SessionOptions& o_;
  Topology topo_;
  asio::io_context ctx_;
  asio::signal_set signals_;
  asio::steady_timer wake_;
  std::unique_ptr<RunDir> run_;
  QemuProcess qemu_;
  std::unique_ptr<QmpClient> qmp_;
  std::unique_ptr<AgentChannel> agent_;
  std::unique_ptr<ConsoleReader> console_;
  std::unique_ptr<Injector> injector_;
  std::unique_ptr<LoadSampler> load_;
  std::unique_ptr<StatusLine> status_;
  std::optional<local::acceptor> acc_qmp_, acc_con_, acc_agent_;
  fs::path sock_dir_;
  fs::path ram_dir_;  // the shared RAM file while this run takes a snapshot (snapshot_ram.hpp)
  AccelChoice accel_;
  double scale_ = 4;
  uint64_t seed_ = 0;
  std::optional<Cause> cause_;
  double t_start_ = 0, t_qemu_ = 0, t_ready_ = -1, t_storm_ = 0, t_end_ = 0;
  double cpu0_ = 0;
  AgentStats prev_stats_;
  double prev_stats_at_ = 0;
  std::vector<double> reads_ps_, resets_ps_;
  int crashes_seen_ = 0;
  double silent_noted_at_ = 0;  // when the agent went quiet while QEMU still answered
  std::unique_ptr<InputJournal> input_journal_;
  std::unique_ptr<HangWatch> hang_;
  std::unique_ptr<ProgressWatch> progress_;
  std::optional<HangReport> hang_report_;
  int64_t unplug_timeouts_seen_ = 0;
  // How the guest starts (snapshot/): cold, cold then snapshot taken, or restored.
  SnapshotPlan snap_plan_;
  bool snap_boot_ = false;  // QEMU boots snap_plan_.boot, not topo_
  std::optional<SnapshotStore> snap_store_;
  std::optional<SnapshotStore::Entry> snap_from_;
  std::string snap_key_, snap_identity_;
  nlohmann::json start_ = nlohmann::json::object();
  void hang_signs();
  SessionOutcome out_;
};

void SessionImpl::finish(Cause c) {
  if (cause_) return;
  spdlog::debug("run ends: {} {}", c.kind, c.detail.dump());
  if (run_) run_->journal("end_cause", {{"cause", c.kind}, {"detail", c.detail}});
  cause_ = std::move(c);
  wake_.cancel();
}

asio::awaitable<void> SessionImpl::pause(double seconds) {
  if (cause_) co_return;
  wake_.expires_after(std::chrono::microseconds(int64_t(seconds * 1e6)));
  boost::system::error_code ec;
  co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<bool> SessionImpl::accept_all() {
  // QEMU connects to the three sockets while it sets up its chardevs.
  auto acc = [&](local::acceptor& a) -> asio::awaitable<std::optional<local::socket>> {
    boost::system::error_code ec;
    local::socket s = co_await a.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::nullopt;
    co_return std::optional<local::socket>(std::move(s));
  };
  asio::steady_timer guard(ctx_, std::chrono::seconds(int(15 * scale_)));
  guard.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ig;
    acc_qmp_->close(ig), acc_con_->close(ig), acc_agent_->close(ig);
  });
  auto con = co_await acc(*acc_con_);
  if (con) console_->attach(std::move(*con));
  auto q = co_await acc(*acc_qmp_);
  if (q) qmp_->attach(std::move(*q));
  auto a = co_await acc(*acc_agent_);
  if (a) agent_->attach(std::move(*a));
  guard.cancel();
  co_return con && q && a;
}

void SessionImpl::housekeeping() {
  double now = mono_seconds();
  if (int e = run_->write_errno(); e == ENOSPC || e == EDQUOT) finish({"disk_full", {{"errno", e}}});
  if (int sig = g_interrupt_signal.load()) finish({"interrupted", {{"signal", sig}}});
  if (status_) {
    StatusFigures f;
    f.elapsed = t_storm_ > 0 ? now - t_storm_ : 0;
    f.total = topo_.duration_s;
    f.phase = t_ready_ < 0 ? "booting" : cause_ ? "stopping" : "running";
    f.plugs = injector_ ? injector_->counters().plugged : 0;
    f.unplugs = injector_ ? injector_->counters().unplugged : 0;
    f.reads_per_s = reads_ps_.empty() ? 0 : reads_ps_.back();
    f.resets_per_s = resets_ps_.empty() ? 0 : resets_ps_.back();
    f.vfio_cycles = agent_->stats().vfio_cycles;
    f.crashes = crashes_seen_;
    status_->update(f);
  }
}

asio::awaitable<void> SessionImpl::main_loop() {
  // 1. Sockets accepted (QEMU connected), QMP negotiated.
  if (!co_await accept_all()) {
    if (!cause_) finish({"boot_failed", {{"why", "QEMU did not connect its QMP/console/agent sockets"}}});
    co_return;
  }
  if (!co_await qmp_->handshake(std::chrono::milliseconds(int64_t(5000 * scale_)))) {
    if (!cause_) finish({"qmp_lost", {{"why", "no QMP greeting or qmp_capabilities failed"}}});
    co_return;
  }
  static const json::json_pointer kQemuVersion("/QMP/version/qemu");
  const json& g = qmp_->greeting();
  run_->journal("qmp_ready", {{"qemu", g.contains(kQemuVersion) ? nlohmann::json::parse(g.at(kQemuVersion).dump()) : nlohmann::json(nullptr)}});

  // 2. Boot (or restore) until the agent is ready (the storm must never run during boot).
  if (!co_await boot_or_restore() || !co_await after_ready()) co_return;
  t_ready_ = mono_seconds();
  out_.ready_seconds = t_ready_ - t_qemu_;
  out_.ready_guest_uptime = agent_->ready_msg().value("uptime", -1.0);
  run_->journal("agent_ready", {{"seconds", out_.ready_seconds}, {"ready", nlohmann::json::parse(agent_->ready_msg().dump())}});

  // 3. Workload into the guest.
  const Workload& w = topo_.workload;
  json wl = {{"seed", seed_}, {"readers", w.readers}, {"resetters", w.resetters}, {"rescanners", w.rescanners},
             {"binders", w.binders}, {"vfio", w.vfio}, {"reset_interval_ms", w.reset_interval_ms},
             {"read_sizes", w.read_sizes}, {"pin_cpus", w.pin_cpus}, {"readers_on", w.readers_on}};
  if (!w.reset_method.empty()) wl["reset_method"] = w.reset_method;
  wl["match"] = w.match.empty() ? json(nullptr) : json(w.match);
  auto wr = co_await agent_->command("workload", wl, std::chrono::milliseconds(int64_t(5000 * scale_)));
  run_->journal("workload", {{"ok", wr.ok && wr.msg.value("ok", false)},
                             {"reply", wr.ok ? nlohmann::json::parse(wr.msg.dump()) : nlohmann::json(nullptr)}});
  if (o_.on_ready) o_.on_ready(*this);

  // 4. Storm and load for the duration.
  injector_ = std::make_unique<Injector>(ctx_.get_executor(), topo_, *qmp_, *agent_, *run_, seed_, scale_,
                                         run_->path() / "disks");
  if (o_.replay) injector_->set_replay(*o_.replay);
  t_storm_ = mono_seconds();
  if (topo_.hotplug.enabled) injector_->start();
  while (!cause_) {
    double left = topo_.duration_s - (mono_seconds() - t_storm_);
    if (left <= 0) {
      finish({"duration", {{"seconds", topo_.duration_s}}});
      break;
    }
    co_await pause(std::min(1.0, left));
    housekeeping();
    hang_signs();
    co_await watchdog();
  }
}

asio::awaitable<bool> SessionImpl::boot_or_restore() {
  if (snap_from_) {
    auto st = co_await restore_snapshot(*qmp_, snap_from_->vmstate, scale_);
    start_["restore_seconds"] = st.seconds;
    if (!st.ok) {
      if (!cause_) finish({"snapshot_restore_failed", {{"why", st.error}}});
      co_return false;
    }
    // The guest handles the hot-plug of what the snapshot cannot hold while the agent
    // answers: plug first, wait for both after.
    bool plugged = co_await plug_after_start();
    if (!plugged) co_return false;
    // The restored agent is where it was when the snapshot was taken: up, waiting for a
    // workload, on the snapshot's devices. An answer proves it runs (an agent older than
    // `ping` answers that it does not know it, which proves it as well); its ready
    // message is the saved one.
    auto r = co_await agent_->command("ping", json::object(), std::chrono::milliseconds(int64_t(5000 * scale_)));
    if (!r.ok) {
      if (!cause_) finish({"snapshot_restore_failed", {{"why", "the restored agent did not answer 'ping'"}}});
      co_return false;
    }
    json ready = json::parse(snap_from_->meta.value("ready", nlohmann::json::object()).dump());
    ready["restored_from"] = snap_key_;
    agent_->assume_ready(ready);
    run_->journal("snapshot_restored", {{"snapshot", snap_key_}, {"seconds", mono_seconds() - t_qemu_}});
    co_return !cause_;
  }
  double boot_limit = 25.0 * scale_;
  while (!cause_ && !agent_->ready()) {
    if (mono_seconds() - t_qemu_ > boot_limit) {
      finish({"boot_failed", {{"why", fmt::format("no agent 'ready' within {:.0f} s", boot_limit)},
                              {"console_bytes", console_->bytes_received()}}});
      break;
    }
    co_await pause(0.1);
    housekeeping();
  }
  co_return !cause_;
}

asio::awaitable<bool> SessionImpl::after_ready() {
  if (snap_boot_ && !snap_from_) {
    // First boot of this tuple: the guest has no seed or workload yet, so its state is
    // the same for every run of the tuple. Keep it, settled: a restore then settles
    // only what it plugs after the start.
    if (!co_await settle()) co_return false;
    double t0 = mono_seconds();
    fs::path tmp = snap_store_->begin(snap_key_);
    auto st = co_await take_snapshot(*qmp_, tmp / "vmstate", ram_dir_ / "ram", tmp / "ram", scale_);
    // QEMU keeps its mapping: the file's name and its memory go once QEMU does.
    std::error_code ec;
    fs::remove_all(ram_dir_, ec);
    auto bytes = fs::file_size(tmp / "vmstate", ec) + st.ram_bytes;
    nlohmann::json meta = {{"identity", snap_identity_}, {"ready", nlohmann::json::parse(agent_->ready_msg().dump())},
                           {"taken", utc_iso8601()}, {"take_seconds", st.seconds}, {"bytes", ec ? 0 : bytes},
                           {"kernel", o_.image.name}, {"config", topo_.source}, {"run_id", run_->id()}};
    bool kept = st.ok && snap_store_->commit(tmp, snap_key_, meta);
    if (!st.ok) snap_store_->discard(tmp);
    if (kept) snap_store_->prune(24);
    start_["mode"] = "snapshot_taken";
    start_["take_seconds"] = mono_seconds() - t0;
    start_["snapshot_bytes"] = ec ? 0 : bytes;
    if (!st.ok) start_["mode"] = "cold", start_["snapshot_error"] = st.error;
    run_->journal("snapshot_taken", {{"snapshot", snap_key_}, {"ok", st.ok}, {"kept", kept}, {"error", st.error},
                                     {"seconds", st.seconds}, {"bytes", ec ? 0 : bytes}});
    if (cause_) co_return false;
  }
  if (!snap_from_) {
    bool plugged = co_await plug_after_start();
    if (!plugged) co_return false;
  }
  if (adds_before_plug_ >= 0) {
    // The run waits for the guest to see each device plugged after the start, so the
    // workload starts on the same devices as a cold boot's.
    int64_t want = adds_before_plug_ + int64_t(snap_plan_.after_restore.size());
    double limit = 10 * scale_;
    while (!cause_ && agent_->pci_adds() < want) {
      if (mono_seconds() - plug_started_ > limit) {
        finish({"boot_failed", {{"why", fmt::format("the guest did not report the cold devices plugged after start ({}) within {:.0f} s",
                                                    start_["plugged_after_start"].dump(), limit)}}});
        break;
      }
      co_await pause(0.01);
    }
    start_["plug_seconds"] = mono_seconds() - plug_started_;
  }
  if (snap_boot_ && snap_plan_.after_restore.empty()) co_return !cause_;  // settled in the snapshot
  co_return co_await settle();
}

// The workload starts once the guest's storage has settled (rig/agent/settle.hpp): an
// nvme plugged after a restore is still scanning, and a reset in that window stalls its
// I/O until nvme's timeout. Not settled in time is journalled, and the run goes on.
asio::awaitable<bool> SessionImpl::settle() {
  if (cause_) co_return false;
  double t0 = mono_seconds();
  int limit_ms = int(5000 * scale_);
  json args = json::object();
  args["limit_ms"] = limit_ms;
  auto r = co_await agent_->command("settle", args, std::chrono::milliseconds(limit_ms + int64_t(5000 * scale_)));
  if (cause_) co_return false;
  const json& m = r.msg;
  bool settled = r.ok && m.is_object() && m.value("ok", false) && m.contains("settled") && m["settled"].is_boolean() &&
                 m["settled"].get<bool>();
  json busy = json::array();
  if (r.ok && m.is_object() && m.contains("busy") && m["busy"].is_array())
    for (const auto& b : m["busy"])
      if (b.is_string() && busy.size() < 16) busy.push_back(b.get<std::string>().substr(0, 200));
  start_["settle_seconds"] = start_.value("settle_seconds", 0.0) + (mono_seconds() - t0);
  if (!settled) {
    std::string why = !r.ok ? (r.timed_out ? "no reply" : "agent gone")
                      : (m.is_object() && !m.value("ok", false)) ? "the agent refused it" : "busy at the limit";
    json detail = json::object();
    detail["settled"] = false;
    detail["why"] = why;
    detail["busy"] = busy;
    start_["settle"] = detail;
  }
  json ev = json::object();
  ev["settled"] = settled;
  if (r.ok && m.is_object() && m.contains("by") && m["by"].is_string()) ev["by"] = m["by"].get<std::string>().substr(0, 20);
  ev["seconds"] = mono_seconds() - t0;
  ev["busy"] = busy;
  run_->journal("settle", ev);
  co_return !cause_;
}

// The cold devices a snapshot cannot hold (snapshot_plan.hpp), on every start from a
// snapshot or for one: blockdev-add and device_add now; after_ready() waits for them.
asio::awaitable<bool> SessionImpl::plug_after_start() {
  if (!snap_boot_ || snap_plan_.after_restore.empty()) co_return !cause_;
  adds_before_plug_ = agent_->pci_adds();
  plug_started_ = mono_seconds();
  nlohmann::json ids = nlohmann::json::array();
  for (auto& d : snap_plan_.after_restore) ids.push_back(d.id);
  start_["plugged_after_start"] = ids;
  auto st = co_await plug_cold_devices(*qmp_, topo_, snap_plan_.after_restore, run_->path() / "disks", scale_);
  if (!st.ok && !cause_) finish({"boot_failed", {{"why", st.error}}});
  co_return !cause_;
}

// The agent streams stats every second. Silence past the (accelerator-scaled) limit:
// if QEMU itself doesn't answer QMP, the guest is hung from the outside (infra). If
// QEMU answers, the guest kernel may be deadlocked with the agent's threads in D state:
// give the kernel's hung-task detector (armed on the cmdline) time to report it
// (a kernel_crash with a title) before calling it guest_silent.
asio::awaitable<void> SessionImpl::watchdog() {
  if (cause_ || t_ready_ < 0) co_return;
  double now = mono_seconds();
  double last = std::max(agent_->last_message_at(), t_ready_);
  double limit = 5.0 * scale_;
  if (now - last <= limit) {
    if (silent_noted_at_ > 0) run_->journal("agent_heard_again", {{"silent_seconds", now - silent_noted_at_}});
    silent_noted_at_ = 0;
    co_return;
  }
  auto st = co_await qmp_->execute("query-status", nullptr, std::chrono::milliseconds(int64_t(2000 * scale_)));
  if (cause_) co_return;
  nlohmann::json detail = {{"silent_seconds", now - last}, {"limit_seconds", limit},
                           {"console_silent_seconds", console_->last_output_at() > 0 ? now - console_->last_output_at() : -1},
                           {"qmp", st.ok ? st.ret.value("status", "?") : st.describe()}};
  if (!st.ok) {
    finish({"guest_silent", detail});
    co_return;
  }
  if (silent_noted_at_ == 0) {
    silent_noted_at_ = now;
    run_->journal("agent_silent", detail);
    if (hang_) hang_->sign("agent_silent", detail, {}, true);
  }
  double grace = hung_task_seconds(accel_.accel) * 2 + 10 * scale_;
  if (now - silent_noted_at_ > grace) {
    detail["qmp_responsive"] = true;
    detail["waited_for_kernel_report_seconds"] = grace;
    finish({"guest_silent", detail});
  }
}

// Signs of a hang the rig checks itself (hang/hang_watch.hpp); stats are watched as they come.
void SessionImpl::hang_signs() {
  if (!hang_ || cause_ || !injector_) return;
  int64_t n = injector_->counters().unplug_timeouts;
  if (n > unplug_timeouts_seen_) {
    unplug_timeouts_seen_ = n;
    hang_->sign("unplug_timeout", {{"unplug_timeouts", n}}, [this] { return injector_->counters().unplugged; });
  }
}

asio::awaitable<void> SessionImpl::teardown() {
  if (hang_) hang_->stop();
  if (injector_) injector_->stop();
  t_end_ = mono_seconds();
  bool qemu_gone = !qemu_.running();
  if (!qemu_gone) {
    if (cause_->kind == "duration" || cause_->kind == "requested") {
      if (agent_ && agent_->connected()) co_await agent_->command("stop", json::object(), std::chrono::milliseconds(2000));
    }
    if (cause_->kind != "guest_silent" && qmp_ && qmp_->connected())
      co_await qmp_->execute("quit", nullptr, std::chrono::milliseconds(2000));
    for (int i = 0; i < 30 && qemu_.running(); i++) {
      asio::steady_timer t(ctx_, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::use_awaitable);
    }
    if (qemu_.running()) {
      run_->journal("qemu_kill", {{"why", "still running at teardown"}});
      qemu_.kill_now();
    }
  }
  // Let the console drain: a panic's last lines may still be in flight.
  for (int i = 0; i < 30 && console_ && !console_->eof(); i++) {
    asio::steady_timer t(ctx_, std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
  }
  for (int i = 0; i < 50 && qemu_.running(); i++) {
    asio::steady_timer t(ctx_, std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
  }
}

nlohmann::json SessionImpl::classify() {
  nlohmann::json r;
  const Cause& c = *cause_;
  auto report = parse_console(console_ ? console_->text() : std::string());
  r["seed"] = seed_;
  r["run_id"] = run_->id();
  r["accel"] = accel_.accel;
  r["kernel"] = {{"name", o_.image.name}, {"release", o_.image.info.value("kernel_release", "")},
                 {"cache_key", o_.image.info.value("cache_key", "")}};
  r["end_cause"] = c.kind;
  if (report && c.kind != "interrupted") {
    r["result"] = "kernel_crash";
    double cores = std::thread::hardware_concurrency();
    bool overload = (report->kind == "soft_lockup" || report->kind == "rcu_stall") && load_ &&
                    load_->max_load1() > 2 * cores;
    r["crash"] = {{"title", report->title}, {"kind", report->kind}, {"function", report->function},
                  {"corrupted", report->corrupted}, {"frame_unreliable", report->frame_unreliable},
                  {"host_overload", overload}, {"detected_by", "kernel"}, {"report", report->text}};
    if (overload) r["crash"]["note"] = "host load far above its cores: likely the host, not the kernel";
    out_.exit_code = 1;
  } else if (hang_report_ && c.kind == "hang") {
    // The rig's own verdict (hang/hang_watch.hpp): no kernel report, two dumps that agree.
    const HangReport& h = *hang_report_;
    const HangFinding& f = h.finding;
    r["result"] = "kernel_crash";
    r["crash"] = {{"title", f.title}, {"kind", "hung_task"}, {"function", f.function}, {"corrupted", false},
                  {"frame_unreliable", false}, {"host_overload", false}, {"detected_by", "rig"},
                  {"hang", {{"first_sign", h.sign}, {"first_sign_detail", h.sign_detail}, {"first_sign_t", h.first_sign_t},
                            {"reported_t", h.reported_t}, {"seconds_from_first_sign", h.reported_t - h.first_sign_t},
                            {"dumps", h.dumps}, {"deadlock", f.deadlock()}, {"owners_known", f.waits.owners_known},
                            {"cycle", f.waits.cycle_text}, {"stuck_tasks", f.stuck.size()}}},
                  {"report", f.title + " (found by the rig: blocked-task dumps, not the kernel's detector)\n\n" + f.report}};
    out_.exit_code = 1;
  } else if (c.kind == "duration" || c.kind == "requested") {
    r["result"] = "clean";
    out_.exit_code = 0;
  } else {
    r["result"] = "infra";
    nlohmann::json inf = {{"kind", c.kind}, {"detail", c.detail}};
    if (c.kind == "qemu_exit") {
      inf["kind"] = "qemu_died";
      if (t_ready_ < 0) inf["during_boot"] = true;
    }
    if (qemu_.exit()) {
      inf["qemu_exit"] = {{"signalled", qemu_.exit()->signalled}, {"code", qemu_.exit()->code},
                          {"describe", qemu_.exit()->describe()}};
    }
    inf["stderr_tail"] = qemu_.stderr_tail(2000);
    r["infra"] = inf;
    out_.exit_code = 2;
  }
  r["exit_code"] = out_.exit_code;
  r["ready_seconds"] = out_.ready_seconds;
  r["start"] = start_;
  r["ready_guest_uptime_seconds"] = out_.ready_guest_uptime;
  r["run_seconds"] = t_storm_ > 0 ? t_end_ - t_storm_ : 0.0;
  r["agent"] = nlohmann::json::parse(agent_ ? agent_->stats().to_json().dump() : "{}");
  if (agent_) r["agent"]["pci_adds"] = agent_->pci_adds(), r["agent"]["pci_removes"] = agent_->pci_removes();
  if (injector_) {
    const auto& h = injector_->counters();
    r["hotplug"] = {{"plugs", h.plugs}, {"plugged", h.plugged}, {"plug_failures", h.plug_failures},
                    {"agent_saw_add", h.agent_saw_add}, {"unplugs", h.unplugs}, {"unplugged", h.unplugged},
                    {"unplug_timeouts", h.unplug_timeouts}, {"busy_retries", h.busy_retries},
                    {"pending_retries", h.pending_retries}, {"unplug_unconfirmed", h.unplug_unconfirmed},
                    {"disk_nodes_kept", h.disk_nodes_kept}, {"plugged_by_kind", h.plugged_by_kind},
                    {"unplugged_by_kind", h.unplugged_by_kind}};
  }
  // What the guest (or QEMU) sent that was refused or cut: the journal has the first ones.
  nlohmann::json input = nlohmann::json::object();
  uint64_t protocol_errors = 0;
  if (agent_) input["agent"] = agent_->input_counts().to_json(), protocol_errors += agent_->input_counts().protocol_errors;
  if (qmp_) input["qmp"] = qmp_->input_counts().to_json(), protocol_errors += qmp_->input_counts().protocol_errors;
  if (console_) input["console"] = console_->input_counts();
  r["protocol_errors"] = protocol_errors;
  if (hang_) r["hang_checks"] = hang_->counts();
  r["input"] = input;
  r["host_load_max"] = load_ ? load_->max_load1() : 0.0;
  r["finished"] = utc_iso8601();
  r["repro"] = fmt::format("pcirig repro {}", run_->path().string());
  return r;
}

void SessionImpl::write_meta() {
  run_->write_text("config.yaml", emit_topology_yaml(topo_));
  run_->write_text("seed", std::to_string(seed_) + "\n");
  run_->write_text("image.json", read_file_text(o_.image.image_json));
  run_->write_json("result.json", {{"result", "running"}, {"seed", seed_}, {"started", utc_iso8601()}});
}

// Cold boot, or the tuple's snapshot: restore it, or take it at agent-ready.
void SessionImpl::plan_start(const LaunchSpec& spec) {
  start_["mode"] = "cold";
  if (!o_.snapshot) {
    start_["why_cold"] = "snapshots off (--no-snapshot or PCIRIG_SNAPSHOT=0)";
    return;
  }
  snap_plan_ = plan_snapshot(topo_);
  if (!snap_plan_.possible) {
    start_["why_cold"] = snap_plan_.why_not;
    return;
  }
  snap_identity_ = identity_text(snapshot_identity(snapshot_argv(snap_plan_.boot, spec), accel_.accel, o_.image, spec.qemu));
  snap_key_ = snapshot_key(snap_identity_);
  snap_store_.emplace(o_.snapshot_dir.empty() ? default_snapshot_dir() : o_.snapshot_dir);
  snap_from_ = snap_store_->find(snap_key_, snap_identity_);
  snap_boot_ = true;
  start_["snapshot"] = snap_key_;
  if (snap_from_) start_["mode"] = "snapshot";
  out_.snapshot_key = snap_key_;
}

SessionOutcome SessionImpl::run() {
  g_interrupt_signal = 0;  // a previous run's Ctrl-C ended that run (and nightly stops on it)
  t_start_ = mono_seconds();
  cpu0_ = cpu_seconds_self();
  if (!topo_.seed) {
    std::random_device rd;
    topo_.seed = (uint64_t(rd()) << 32 | rd()) & ((1ull << 53) - 1);  // fits a JSON double exactly
  }
  seed_ = *topo_.seed;
  run_ = std::make_unique<RunDir>(o_.runs_dir, seed_, o_.tag);
  out_.run_dir = run_->path();
  write_meta();
  run_->journal("run_start", {{"seed", seed_}, {"config", topo_.source}, {"kernel", o_.image.name},
                              {"duration_s", topo_.duration_s}});

  // Accelerator: CLI override, else the YAML's; auto probes KVM.
  std::string want = o_.accel.empty() ? topo_.accel : o_.accel;
  accel_ = choose_accel(want, o_.image.kernel, o_.image.initramfs);
  scale_ = accel_time_scale(accel_.accel);
  run_->journal("accel", accel_.to_json());
  run_->write_json("accel.json", accel_.to_json());

  // The sockets QEMU connects to, QMP included: in a directory of our own that nobody
  // can name in advance or enter. Short paths: sun_path is 108 bytes, run dirs can be deep.
  fs::path tmp = fs::temp_directory_path();
  if (tmp.string().size() > 60) tmp = "/tmp";
  sock_dir_ = make_private_dir(tmp, "pcirig-");
  run_->journal("sockets", {{"dir", sock_dir_.string()}});
  LaunchSpec spec;
  spec.accel = accel_.accel;
  spec.kernel = o_.image.kernel;
  spec.initramfs = o_.image.initramfs;
  spec.qmp_socket = sock_dir_ / "qmp.sock";
  spec.console_socket = sock_dir_ / "con.sock";
  spec.agent_socket = sock_dir_ / "agent.sock";
  spec.disk_dir = run_->path() / "disks";
  acc_qmp_.emplace(ctx_, local::endpoint(spec.qmp_socket.string()));
  acc_con_.emplace(ctx_, local::endpoint(spec.console_socket.string()));
  acc_agent_.emplace(ctx_, local::endpoint(spec.agent_socket.string()));
  // Backing files for nvme / virtio-blk (sparse).
  auto disks = disk_files(topo_, spec.disk_dir);
  if (!disks.empty()) fs::create_directories(spec.disk_dir);
  for (auto& [file, mb] : disks) {
    std::FILE* fp = std::fopen(file.c_str(), "wb");
    bool ok = fp && ::ftruncate(fileno(fp), off_t(mb) << 20) == 0;
    if (fp) std::fclose(fp);
    if (!ok) throw std::runtime_error(fmt::format("cannot create backing file {}", file.string()));
  }
  plan_start(spec);
  if (snap_from_) {
    spec.ram_file = snap_from_->ram;
  } else if (snap_boot_) {
    ram_dir_ = make_ram_dir(sock_dir_);
    spec.ram_file = ram_dir_ / "ram";
    spec.ram_shared = true;
  }
  auto argv = qemu_argv(snap_boot_ ? snap_plan_.boot : topo_, spec);
  if (snap_from_) argv.insert(argv.end(), {"-incoming", "defer"});
  run_->write_text("qemu.cmdline", shell_quote(argv) + "\n");
  run_->journal("start", start_);

  qmp_ = std::make_unique<QmpClient>(ctx_.get_executor(), &run_->qmp_log());
  agent_ = std::make_unique<AgentChannel>(ctx_.get_executor(), &run_->agent_log());
  console_ = std::make_unique<ConsoleReader>(ctx_.get_executor(), &run_->console_log());
  load_ = std::make_unique<LoadSampler>(ctx_.get_executor(), &run_->load_log(), run_->t0());
  input_journal_ = std::make_unique<InputJournal>(*run_);
  auto on_problem = [this](const nlohmann::json& d) { input_journal_->note(d); };
  qmp_->on_input_problem = agent_->on_input_problem = console_->on_input_problem = on_problem;
  qmp_->set_max_line(o_.max_input_line), agent_->set_max_line(o_.max_input_line), console_->set_max_line(o_.max_input_line);
  if (o_.status_line) status_ = std::make_unique<StatusLine>();
  HangWatchOptions ho;
  ho.lockdep = o_.image.info.value("config", nlohmann::json::object()).value("PROVE_LOCKING", false) == true;
  hang_ = std::make_unique<HangWatch>(ctx_.get_executor(), *agent_, *qmp_, *run_, ho);
  hang_->on_hang = [this](const HangReport& r) {
    hang_report_ = r;
    finish({"hang", {{"title", r.finding.title}, {"detected_by", "rig"}}});
  };
  console_->on_line = [this](std::string_view l) { hang_->on_console_line(l); };
  progress_ = std::make_unique<ProgressWatch>(topo_.workload, 3.0);

  agent_->add_listener([this](const json& m) {
    std::string type = m.value("type", "");
    if (type == "stats") {
      AgentStats s = agent_->stats();
      double dt = s.t - prev_stats_.t;
      if (prev_stats_at_ > 0 && dt > 0) {
        reads_ps_.push_back((s.config_reads - prev_stats_.config_reads) / dt);
        resets_ps_.push_back((s.resets - prev_stats_.resets) / dt);
      }
      prev_stats_ = s;
      prev_stats_at_ = mono_seconds();
      if (t_storm_ > 0 && !cause_)
        if (auto stall = progress_->feed(prev_stats_at_, s))
          hang_->sign("counters_stopped", {{"counter", stall->counter}, {"seconds", stall->seconds}},
                      [this, c = stall->counter] { return ProgressWatch::progress(agent_->stats(), c); });
      nlohmann::json line = nlohmann::json::parse(m.dump());
      line["host_t"] = std::round((mono_seconds() - run_->t0()) * 1000) / 1000;
      run_->stats_log().json_line(line);
    } else if (type == "pci") {
      run_->journal("agent_pci", {{"event", m.value("event", "")}, {"dev", nlohmann::json::parse(m["dev"].dump())}});
    } else if (type == "log") {
      run_->journal("agent_log", {{"msg", m.value("msg", "")}});
    }
  });
  agent_->on_disconnect = [this](const std::string& why) {
    if (t_ready_ > 0 && qemu_.running()) run_->journal("agent_disconnected", {{"why", why}});
  };
  qmp_->on_disconnect = [this](const std::string& why) {
    // QMP closes when QEMU exits; give the exit handler a moment to tell which.
    auto t = std::make_shared<asio::steady_timer>(ctx_, std::chrono::seconds(2));
    t->async_wait([this, t, why](boost::system::error_code) {
      if (qemu_.running()) finish({"qmp_lost", {{"why", why}}});
    });
  };
  qmp_->add_listener([this](const json& ev) {
    if (!ev.contains("event")) return;
    std::string e = ev["event"];
    if (e == "SHUTDOWN" || e == "RESET" || e == "GUEST_PANICKED" || e == "STOP" || e == "RESUME")
      run_->journal("qmp_event", {{"event", e}, {"data", nlohmann::json::parse(ev.value("data", json::object()).dump())}});
  });
  console_->on_report_start = [this](const std::string& line) {
    crashes_seen_++;
    run_->journal("kernel_report", {{"line", line}});
    // panic_on_warn/oops=panic end QEMU soon; if the guest lingers, end the run ourselves.
    auto t = std::make_shared<asio::steady_timer>(ctx_, std::chrono::milliseconds(int64_t(10000 * scale_)));
    t->async_wait([this, t](boost::system::error_code) { finish({"kernel_report", {}}); });
  };
  qemu_.on_exit = [this](const QemuExit& x) {
    run_->journal("qemu_exit", {{"signalled", x.signalled}, {"code", x.code}, {"describe", x.describe()}});
    finish({"qemu_exit", {{"describe", x.describe()}}});
  };
  signals_.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    g_interrupt_signal = sig;
    finish({"interrupted", {{"signal", sig}}});
  });

  try {
    t_qemu_ = mono_seconds();
    qemu_.start(argv, run_->file("qemu.stderr"));
    run_->journal("qemu_start", {{"pid", qemu_.pid()}});
  } catch (const std::exception& e) {
    finish({"setup", {{"error", e.what()}}});
  }
  load_->start();
  asio::co_spawn(ctx_, [this]() -> asio::awaitable<void> {
    if (!cause_) co_await main_loop();
    while (!cause_) co_await pause(1.0);  // main_loop returned early: wait for the cause
    co_await teardown();
    load_->stop();
    signals_.cancel();
    if (qmp_) qmp_->close();
    if (agent_) agent_->close();
    acc_qmp_->close(), acc_con_->close(), acc_agent_->close();
    ctx_.stop();
  }, asio::detached);
  ctx_.run();
  if (status_) status_->clear();

  nlohmann::json r = classify();
  if (r["result"] == "infra" && cause_->kind == "setup") r["infra"]["kind"] = "setup";
  run_->release_reserve();
  run_->write_json("result.json", r);
  run_->journal("run_end", {{"result", r["result"]}, {"exit_code", out_.exit_code}});
  std::error_code ec;
  fs::remove_all(sock_dir_, ec);
  if (!ram_dir_.empty()) fs::remove_all(ram_dir_, ec);
  fs::remove_all(run_->path() / "disks", ec);  // sparse but large-looking; the config recreates them

  out_.result = r;
  out_.start_mode = start_.value("mode", "cold");
  if (injector_) out_.hotplug = injector_->counters();
  out_.reads_per_s = reads_ps_;
  out_.resets_per_s = resets_ps_;
  out_.storm_seconds = t_storm_ > 0 ? t_end_ - t_storm_ : 0;
  double wall = mono_seconds() - t_start_;
  out_.cpu_percent = wall > 0 ? 100.0 * (cpu_seconds_self() - cpu0_) / wall : 0;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  out_.rss_mb = ru.ru_maxrss / 1024.0;
  return out_;
}
}  // namespace

bool snapshots_enabled_by_env() {
  const char* v = std::getenv("PCIRIG_SNAPSHOT");
  return !v || std::string(v) != "0";
}

SessionOutcome run_session(const SessionOptions& opts) {
  // A kernel without an option this run needs stops here, before QEMU starts.
  check_image_kernel_config(opts.image, opts.topo);
  SessionOutcome out;
  {
    SessionImpl s(opts);
    out = s.run();
  }
  // A snapshot that did not come back up is removed, and the run is done again from a
  // cold boot (which takes a new snapshot); the failed run's directory stays.
  const auto& r = out.result;
  if (out.start_mode == "snapshot" && out.ready_seconds < 0 && r.value("result", "") == "infra" &&
      r.value("end_cause", "") != "interrupted" && r.value("end_cause", "") != "disk_full") {
    spdlog::warn("snapshot {} did not restore ({}): removed, booting cold", out.snapshot_key, r.value("end_cause", ""));
    SnapshotStore(opts.snapshot_dir.empty() ? default_snapshot_dir() : opts.snapshot_dir).remove(out.snapshot_key);
    fs::path failed = out.run_dir;
    SessionImpl s(opts);
    out = s.run();
    out.result["start"]["retry_of"] = failed.string();
    std::ofstream(out.run_dir / "result.json.tmp") << out.result.dump(2) << "\n";
    std::error_code ec;
    fs::rename(out.run_dir / "result.json.tmp", out.run_dir / "result.json", ec);
  }
  return out;
}
}  // namespace pcirig
