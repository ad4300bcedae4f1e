// Two dumps of the blocked tasks a few seconds apart -> is the guest hung? A task is
// stuck when it is blocked in both with the same stack. Stuck tasks in a wait-for cycle
// are a deadlock: no wait that ends by itself looks like that, so it is reported at once.
// Stuck tasks without a cycle may be waiting out a timeout (nvme's 30 s I/O timeout, a
// native unplug's 5 s button delay): they are a hang only once they have stayed stuck
// longer than any such wait (HangWatch decides when).
#pragma once
#include <optional>
#include <set>
#include <string>

#include "hang/blocked_dump.hpp"
#include "hang/wait_graph.hpp"

namespace pcirig {

struct HangFinding {
  std::set<int64_t> stuck;   // blocked with the same stack in both dumps
  WaitAnalysis waits;        // on the later dump
  bool deadlock() const { return !waits.cycle.empty(); }
  // A stuck task (else any task blocked in the later dump) waits for a device request
  // (device_io_wait()): the driver's own timeout ends that wait, so stuck-without-a-cycle
  // needs longer to be a hang.
  std::string io_wait;       // "comm:pid in FRAME", or empty
  // Titled as the kernel's hung-task detector would title the first stuck task of the
  // cycle (or the first stuck task): "INFO: task hung in FUNC".
  std::string title;
  std::string function;
  std::string report;        // the body: the cycle or the grouped waits, then the stacks
};

std::set<int64_t> stuck_tasks(const BlockedDump& before, const BlockedDump& after);
// The frame of `t` that waits for a device request to complete, or empty: an I/O sleep
// (io_schedule*), a synchronous request (blk_execute_rq, nvme's sync commands), a queue
// freeze (blk_mq_freeze_queue_wait: every request in flight ends by completion or timeout).
std::string device_io_wait(const BlockedTask& t);
// Empty when nothing is stuck. `within`: only these pids count (stuck in earlier dumps too).
std::optional<HangFinding> judge_hang(const BlockedDump& before, const BlockedDump& after,
                                      const std::set<int64_t>* within = nullptr);
}  // namespace pcirig
