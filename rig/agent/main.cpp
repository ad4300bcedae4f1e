// pcirig-agent: the guest side of the rig. Started by the initramfs /init, it
// opens the virtio-serial port `pcirig.0`, says `ready`, then serves the
// host's commands (docs/CONTRACTS.md) while watching the PCI bus and
// streaming counters once a second.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "agent_port.hpp"
#include "disk_announcements.hpp"
#include "exec_command.hpp"
#include "settle.hpp"
#include "uevent_watch.hpp"
#include "workload.hpp"

using namespace pcirig::agent;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  SysfsRoot root;
  std::string port_name = "pcirig.0";
  int wait_port_seconds = 60;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pcirig-agent: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--root") o.root.root = value();
    else if (a == "--port") o.port_name = value();
    else if (a == "--wait-port") o.wait_port_seconds = std::atoi(value().c_str());
    else {
      std::fprintf(stderr, "usage: pcirig-agent [--root DIR] [--port NAME] [--wait-port SECONDS]\n");
      std::exit(2);
    }
  }
  return o;
}

class Agent {
 public:
  Agent(const Options& opt, int fd, std::optional<std::string> agent_bdf)
      : opt_(opt),
        port_(fd),
        notes_([this](const std::string& msg) { port_.send(log_message(msg)); }),
        workload_(opt.root, board_, counters_, std::move(agent_bdf), &notes_) {}

  int run() {
    start_ = Clock::now();
    devices_ = list_pci_devices(opt_.root);
    std::vector<std::string> bdfs;
    for (const auto& d : devices_) bdfs.push_back(d.bdf);
    disks_.baseline(present_disks(opt_.root), bdfs);  // after the uevent socket opened: nothing falls between
    board_.publish(devices_);
    utsname u{};
    ::uname(&u);
    double uptime = -1;
    if (std::FILE* f = std::fopen("/proc/uptime", "r")) {
      if (std::fscanf(f, "%lf", &uptime) != 1) uptime = -1;
      std::fclose(f);
    }
    port_.send(ready_message(u.release, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)), devices_, uptime));

    auto next_scan = Clock::now() + kScanPeriod;
    auto next_stats = Clock::now() + kStatsPeriod;
    std::deque<std::string> lines;
    for (;;) {
      auto now = Clock::now();
      auto wake = std::min(next_scan, next_stats);
      int timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count());
      pollfd fds[2] = {{port_.fd(), static_cast<short>(POLLIN | (port_.has_pending() ? POLLOUT : 0)), 0},
                       {uevents_.fd(), POLLIN, 0}};
      pollfd& p = fds[0];
      int n = ::poll(fds, uevents_.fd() >= 0 ? 2 : 1, std::max(timeout, 0));
      if (n > 0 && (fds[1].revents & POLLIN)) {
        auto d = uevents_.drain([this](const Uevent& u) { disks_.note(u); });
        if (d.lost) disks_.lost();
        if (d.pci || d.lost) next_scan = Clock::now();
      }
      if (n > 0 && (p.revents & POLLHUP)) {
        // Host side not connected: nothing to read; wait for the next tick
        // instead of spinning on POLLHUP.
        host_connected_ = false;
        std::this_thread::sleep_until(wake);
      } else if (n > 0) {
        host_connected_ = true;
        if (p.revents & POLLIN) port_.receive(lines);
        if (p.revents & POLLOUT) port_.flush();
      }
      while (!lines.empty()) {
        handle(lines.front());
        lines.pop_front();
      }
      now = Clock::now();
      if (now >= next_scan) {
        scan_bus();
        next_scan = now + kScanPeriod;
      }
      if (now >= next_stats) {
        double t = std::chrono::duration<double>(now - start_).count();
        port_.send(stats_message(counters_, t, devices_.size()));
        next_stats += kStatsPeriod;
        if (next_stats < now) next_stats = now + kStatsPeriod;
      }
      port_.flush();
    }
  }

 private:
  static constexpr auto kScanPeriod = std::chrono::milliseconds(100);
  static constexpr auto kStatsPeriod = std::chrono::seconds(1);

  void scan_bus() {
    auto now = list_pci_devices(opt_.root);
    for (const auto& ev : diff_pci_devices(devices_, now)) port_.send(pci_event_message(ev));
    // Published only when it changed: the readers redo their per-listing work
    // (filtering, closing stale descriptors) when the snapshot is a new one.
    if (now == devices_) return;
    devices_ = std::move(now);
    board_.publish(devices_);
  }

  // A joined-in-background handover: the reply to `stop` (or to a replacing
  // `workload`) goes out once the old workers have really finished.
  void retire_then_reply(Workload::Retired old, Json reply) {
    std::thread([this, old = std::move(old), reply = std::move(reply)]() mutable {
      old.join();
      port_.send(reply);
    }).detach();
  }

  void handle(const std::string& line) {
    auto parsed = parse_command(line);
    if (auto* err = std::get_if<ParseError>(&parsed)) {
      port_.send(reply_error(err->id, err->message));
      return;
    }
    Command& cmd = std::get<Command>(parsed);
    if (auto* w = std::get_if<WorkloadCmd>(&cmd.body)) {
      Json reply = reply_ok(cmd.id);
      reply["threads"] = w->spec.total_threads();
      auto old = workload_.start(w->spec);
      if (old.threads.empty()) port_.send(reply);
      else retire_then_reply(std::move(old), std::move(reply));
    } else if (std::get_if<StopCmd>(&cmd.body)) {
      auto old = workload_.retire();
      if (old.threads.empty()) port_.send(reply_ok(cmd.id));
      else retire_then_reply(std::move(old), reply_ok(cmd.id));
    } else if (std::get_if<PingCmd>(&cmd.body)) {
      port_.send(reply_ok(cmd.id));
    } else if (auto* st = std::get_if<SettleCmd>(&cmd.body)) {
      // Waits up to its limit, so it runs beside the loop, as exec does.
      std::thread([this, id = cmd.id, limit = st->limit_ms]() {
        // With uevents, what settles storage wakes the wait (a disk's add, a bind), so
        // looks can be sparse: each is guest CPU that the probe it waits for needs.
        bool heard = uevents_.fd() >= 0;
        SettleResult r = settle_storage(opt_.root, std::chrono::milliseconds(limit), heard ? &disks_ : nullptr,
                                        std::chrono::milliseconds(50), std::chrono::milliseconds(heard ? 50 : 10));
        Json reply = reply_ok(id);
        reply["settled"] = r.settled;
        reply["by"] = r.by;
        reply["waited_ms"] = r.waited_ms;
        reply["busy"] = r.busy;
        port_.send(reply);
      }).detach();
    } else if (std::get_if<DevicesCmd>(&cmd.body)) {
      scan_bus();
      Json reply = reply_ok(cmd.id);
      reply["devices"] = Json::array();
      for (const auto& d : devices_) reply["devices"].push_back(to_json(d));
      port_.send(reply);
    } else if (auto* sp = std::get_if<SlotPowerCmd>(&cmd.body)) {
      int err = write_text_file(opt_.root.pci_slots() / sp->slot / "power", sp->on ? "1" : "0");
      port_.send(err == 0 ? reply_ok(cmd.id) : reply_error(cmd.id, "slot " + sp->slot + " power: " + std::strerror(err)));
    } else if (auto* ex = std::get_if<ExecCmd>(&cmd.body)) {
      // A program may block for long (or for ever: the hung-task test), so it
      // runs beside the loop and replies when it ends.
      std::thread([this, id = cmd.id, argv = ex->argv]() {
        ExecResult r = run_program(argv);
        Json reply = r.error.empty() ? (r.status == 0 ? reply_ok(id) : reply_error(id, "exit status " + std::to_string(r.status)))
                                     : reply_error(id, r.error);
        reply["status"] = r.status;
        reply["output"] = r.output;
        port_.send(reply);
      }).detach();
    }
  }

  const Options& opt_;
  AgentPort port_;
  DeviceBoard board_;
  Counters counters_;
  ErrorNotes notes_;
  Workload workload_;
  std::vector<PciDevice> devices_;
  UeventWatch uevents_;       // a PCI uevent brings the next bus scan forward
  DiskAnnouncements disks_;  // a disk's add uevent: its partition scan is over (settle)
  Clock::time_point start_;
  bool host_connected_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  // A closed pipe from an exec'd program must be an EPIPE, not the agent's death.
  ::signal(SIGPIPE, SIG_IGN);
  // The port appears when virtio_console has probed; /init loaded it just before.
  std::optional<PortLocation> loc;
  for (int waited_ms = 0;; waited_ms += 100) {
    loc = find_virtio_port(opt.root, opt.port_name);
    if (loc && ::access(loc->dev_node.c_str(), R_OK | W_OK) == 0) break;
    if (waited_ms >= opt.wait_port_seconds * 1000) {
      std::fprintf(stderr, "pcirig-agent: no virtio-serial port named %s under %s after %d s\n",
                   opt.port_name.c_str(), opt.root.virtio_ports().c_str(), opt.wait_port_seconds);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int fd = ::open(loc->dev_node.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "pcirig-agent: open %s: %s\n", loc->dev_node.c_str(), std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "pcirig-agent: serving on %s (%s)\n", loc->dev_node.c_str(),
               loc->pci_bdf ? loc->pci_bdf->c_str() : "no PCI function");
  Agent agent(opt, fd, loc->pci_bdf);
  return agent.run();
}
