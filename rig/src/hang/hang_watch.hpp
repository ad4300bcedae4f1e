// The rig's own hang detector (docs/rig.md "Hangs"). A first sign (an unplug that timed
// out, worker counters that stopped while the agent still talks, an agent gone silent
// while QEMU answers) starts a check: the kernel dumps its blocked tasks (sysrq w) and,
// on lockdep kernels, every held lock (sysrq d); again a few seconds later. Tasks stuck
// with the same stack in a wait-for cycle are reported at once; stuck tasks with no
// cycle only once they stayed so past any wait that ends by itself. Otherwise the check
// clears and the run goes on.
#pragma once
#include <boost/asio.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agentlink/agent_channel.hpp"
#include "hang/hang_verdict.hpp"
#include "qmp/qmp_client.hpp"
#include "report/run_dir.hpp"

namespace pcirig {
namespace asio = boost::asio;

struct HangWatchOptions {
  bool lockdep = false;          // the kernel has lockdep: ask for held locks (sysrq d)
  double second_dump_after = 3;  // seconds between the first two dumps
  double next_dumps_every = 10;  // then, while tasks stay stuck without a cycle
  // Stuck with no cycle is a hang only past this: above nvme's 30 s I/O timeout (which a
  // reset racing an unplug waits out) and a native unplug's 5 s button delay.
  double no_cycle_hang_after = 60;
  // ... and past this when a stuck task waits for a device request: nvme's admin
  // commands time out after 60 s (a reset's nvme_start_ctrl -> nvme_features after
  // an unplug), and the kernel's own hung-task detector (75 s under TCG) speaks first.
  double io_wait_hang_after = 90;
  double dump_timeout = 15;      // a dump's end marker must arrive within this
  size_t max_dump_bytes = 4u << 20;
};

struct HangReport {
  HangFinding finding;
  std::string sign;              // what started the check
  nlohmann::json sign_detail;
  double first_sign_t = 0;       // run-relative seconds (the journal's t)
  double reported_t = 0;
  int dumps = 0;
};

class HangWatch {
 public:
  HangWatch(asio::any_io_executor ex, AgentChannel& agent, QmpClient& qmp, RunDir& run, HangWatchOptions o)
      : ex_(std::move(ex)), agent_(agent), qmp_(qmp), run_(run), o_(o) {}

  // Every console line (the dump is read from the console).
  void on_console_line(std::string_view line);
  // A first sign; ignored while a check runs. `progress` (optional) tells whether the
  // guest moved since: it is read at the sign and at each later dump.
  void sign(const std::string& kind, nlohmann::json detail, std::function<int64_t()> progress = {},
            bool agent_silent = false);
  void stop() { stopped_ = true; }

  std::function<void(const HangReport&)> on_hang;
  bool checking() const { return checking_; }
  nlohmann::json counts() const;  // {checks, cleared, reported, dumps, dumps_failed}

 private:
  asio::awaitable<void> check(std::string kind, nlohmann::json detail, std::function<int64_t()> progress,
                              bool agent_silent);
  asio::awaitable<std::optional<BlockedDump>> dump(bool agent_silent);
  asio::awaitable<void> sleep(double seconds);
  double now_t() const;

  asio::any_io_executor ex_;
  AgentChannel& agent_;
  QmpClient& qmp_;
  RunDir& run_;
  HangWatchOptions o_;
  bool stopped_ = false, checking_ = false;
  // The dump being captured: console lines between our markers.
  int dump_no_ = 0;
  bool capturing_ = false, start_seen_ = false, end_seen_ = false, cut_ = false;
  std::string captured_;
  double last_line_at_ = 0;
  int checks_ = 0, cleared_ = 0, reported_ = 0, dumps_ = 0, dumps_failed_ = 0;
};
}  // namespace pcirig
