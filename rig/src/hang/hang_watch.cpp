#include "hang/hang_watch.hpp"

#include <fmt/format.h>

#include "util/clock.hpp"

namespace pcirig {

double HangWatch::now_t() const { return mono_seconds() - run_.t0(); }

nlohmann::json HangWatch::counts() const {
  return {{"checks", checks_}, {"cleared", cleared_}, {"reported", reported_}, {"dumps", dumps_},
          {"dumps_failed", dumps_failed_}};
}

void HangWatch::on_console_line(std::string_view line) {
  if (!capturing_) return;
  last_line_at_ = mono_seconds();
  std::string start = fmt::format("pcirig: hang dump {} start", dump_no_);
  std::string end = fmt::format("pcirig: hang dump {} end", dump_no_);
  if (line.find(end) != std::string_view::npos) {
    end_seen_ = true;
    return;
  }
  if (line.find(start) != std::string_view::npos || line.find("sysrq: Show Blocked State") != std::string_view::npos)
    start_seen_ = true;
  if (!start_seen_ || end_seen_) return;
  if (captured_.size() + line.size() + 1 > o_.max_dump_bytes) {
    cut_ = true;
    return;
  }
  captured_.append(line);
  captured_.push_back('\n');
}

asio::awaitable<void> HangWatch::sleep(double seconds) {
  asio::steady_timer t(ex_, std::chrono::microseconds(int64_t(seconds * 1e6)));
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::optional<BlockedDump>> HangWatch::dump(bool agent_silent) {
  int n = ++dump_no_;
  captured_.clear();
  capturing_ = true, start_seen_ = end_seen_ = cut_ = false;
  std::string via = "agent";
  // Our markers go through the kernel's log (/dev/kmsg), so they frame the sysrq output
  // on the console in order.
  if (!agent_silent) {
    std::string script = fmt::format(
        "echo 'pcirig: hang dump {0} start' >/dev/kmsg; echo w >/proc/sysrq-trigger; {1}"
        "echo 'pcirig: hang dump {0} end' >/dev/kmsg",
        n, o_.lockdep ? "echo d >/proc/sysrq-trigger; " : "");
    json fields = json::object();
    fields["argv"] = {"/bin/sh", "-c", script};
    // Not awaited: the reply does not matter, the console does.
    asio::co_spawn(ex_, [this, fields]() -> asio::awaitable<void> {
      co_await agent_.command("exec", fields, std::chrono::milliseconds(int64_t(o_.dump_timeout * 1000)));
    }, asio::detached);
    for (int i = 0; i < 30 && !start_seen_ && !stopped_; i++) co_await sleep(0.1);
  }
  if (!start_seen_ && !stopped_) {
    // The agent cannot run it: the keyboard's sysrq through QMP (only if the guest's
    // kernel.sysrq allows dumps: the control kernels do, Debian's 438 does not).
    via = "qmp";
    for (const char* key : {"w", "d"}) {
      if (std::string(key) == "d" && !o_.lockdep) continue;
      json args = {{"keys", json::array({{{"type", "qcode"}, {"data", "alt"}},
                                         {{"type", "qcode"}, {"data", "sysrq"}},
                                         {{"type", "qcode"}, {"data", key}}})}};
      co_await qmp_.execute("send-key", args, std::chrono::milliseconds(5000));
      co_await sleep(0.5);
    }
  }
  // The end marker, or (through QMP: no marker) a quiet console.
  double t0 = mono_seconds();
  while (!stopped_ && !end_seen_ && mono_seconds() - t0 < o_.dump_timeout) {
    if (via == "qmp" && start_seen_ && mono_seconds() - last_line_at_ > 2.0) break;
    co_await sleep(0.1);
  }
  capturing_ = false;
  bool ok = start_seen_ && (end_seen_ || via == "qmp");
  run_.journal("hang_dump", {{"n", n}, {"via", via}, {"ok", ok}, {"bytes", captured_.size()}, {"cut", cut_}});
  if (!ok) {
    dumps_failed_++;
    co_return std::nullopt;
  }
  dumps_++;
  co_return parse_blocked_dump(captured_);
}

void HangWatch::sign(const std::string& kind, nlohmann::json detail, std::function<int64_t()> progress,
                     bool agent_silent) {
  if (checking_ || stopped_) return;
  checking_ = true;
  asio::co_spawn(ex_, check(kind, std::move(detail), std::move(progress), agent_silent), asio::detached);
}

asio::awaitable<void> HangWatch::check(std::string kind, nlohmann::json detail, std::function<int64_t()> progress,
                                       bool agent_silent) {
  checks_++;
  double t_sign = now_t();
  int64_t p0 = progress ? progress() : 0;
  run_.journal("hang_check", {{"sign", kind}, {"detail", detail}});
  auto clear = [&](const std::string& why) {
    cleared_++;
    run_.journal("hang_check_cleared", {{"sign", kind}, {"why", why}, {"seconds", now_t() - t_sign}});
  };
  int dumps = 0;
  std::optional<BlockedDump> prev = co_await dump(agent_silent);
  dumps++;
  double t_first = now_t();
  std::set<int64_t> stuck;
  bool first_pair = true;
  while (!stopped_) {
    if (!prev) {
      clear("no dump of the blocked tasks");
      break;
    }
    co_await sleep(first_pair ? o_.second_dump_after : o_.next_dumps_every);
    if (stopped_) break;
    auto cur = co_await dump(agent_silent);
    dumps++;
    if (stopped_) break;
    if (!cur) {
      clear("no dump of the blocked tasks");
      break;
    }
    // Only tasks stuck in every dump so far count.
    auto f = judge_hang(*prev, *cur, first_pair ? nullptr : &stuck);
    if (!f) {
      clear("no task stayed blocked with the same stack");
      break;
    }
    stuck = f->stuck;
    first_pair = false;
    bool moved = progress && progress() != p0;
    double no_cycle_after = f->io_wait.empty() ? o_.no_cycle_hang_after : o_.io_wait_hang_after;
    if (f->deadlock() || (!moved && now_t() - t_first >= no_cycle_after)) {
      reported_++;
      HangReport r{*f, kind, detail, t_sign, now_t(), dumps};
      run_.journal("hang_reported", {{"title", f->title}, {"detected_by", "rig"}, {"sign", kind},
                                     {"deadlock", f->deadlock()}, {"cycle", f->waits.cycle_text},
                                     {"stuck_tasks", f->stuck.size()}, {"dumps", dumps},
                                     {"seconds_from_first_sign", r.reported_t - t_sign}});
      if (on_hang) on_hang(r);
      co_return;  // the run ends: checking_ stays set
    }
    if (moved) {
      clear("the guest moved on (counters)");
      break;
    }
    run_.journal("hang_check_waiting", {{"stuck_tasks", f->stuck.size()}, {"owners_known", f->waits.owners_known},
                                        {"seconds", now_t() - t_first}, {"io_wait", f->io_wait},
                                        {"report_after", no_cycle_after}});
    prev = std::move(cur);
  }
  checking_ = false;
}
}  // namespace pcirig
