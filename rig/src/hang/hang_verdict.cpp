#include "hang/hang_verdict.hpp"

#include <fmt/format.h>

#include "console/crash_title.hpp"

namespace pcirig {

std::set<int64_t> stuck_tasks(const BlockedDump& before, const BlockedDump& after) {
  std::set<int64_t> s;
  for (auto& t : after.tasks) {
    const BlockedTask* b = before.task(t.pid);
    if (b && b->comm == t.comm && !t.frames.empty() && b->stack_key() == t.stack_key()) s.insert(t.pid);
  }
  return s;
}

std::string device_io_wait(const BlockedTask& t) {
  static const char* const waits[] = {"io_schedule", "blk_execute_rq", "__nvme_submit_sync_cmd", "nvme_submit_sync_cmd",
                                      "blk_mq_freeze_queue_wait", "nvme_wait_freeze"};
  for (const auto& fr : t.frames) {
    std::string sym = frame_symbol(fr);
    for (const char* w : waits)
      if (sym.rfind(w, 0) == 0) return sym;
  }
  return "";
}

std::optional<HangFinding> judge_hang(const BlockedDump& before, const BlockedDump& after,
                                      const std::set<int64_t>* within) {
  HangFinding f;
  for (int64_t p : stuck_tasks(before, after))
    if (!within || within->count(p)) f.stuck.insert(p);
  if (f.stuck.empty()) return std::nullopt;
  f.waits = analyse_waits(after, f.stuck);
  int64_t first = f.deadlock() ? f.waits.cycle.front() : -1;
  if (first < 0)
    for (auto& t : after.tasks)
      if (f.stuck.count(t.pid)) {
        first = t.pid;
        break;
      }
  // The title task's stack in the shape of kernel/hung_task.c's report, through the
  // console parser, so the frame is picked exactly as for a kernel-reported hang.
  const BlockedTask* t = after.task(first);
  std::string shaped = fmt::format("INFO: task {}:{} blocked for more than 0 seconds.\nCall Trace:\n<TASK>\n", t->comm, t->pid);
  for (auto& fr : t->frames) shaped += " " + fr + "\n";
  shaped += "</TASK>\n";
  if (auto r = parse_console(shaped)) {
    f.title = r->title;
    f.function = r->function;
  } else {
    f.title = "INFO: task hung";
  }
  f.report = f.waits.body;
  // A stuck task in a device wait first; else any task blocked there now, stuck or
  // not: a request still in flight can end the whole pile-up when it times out.
  for (int pass = 0; pass < 2 && f.io_wait.empty(); pass++)
    for (auto& task : after.tasks)
      if (pass == 1 || f.stuck.count(task.pid))
        if (std::string w = device_io_wait(task); !w.empty()) {
          f.io_wait = fmt::format("{}:{} in {}", task.comm, task.pid, w);
          break;
        }
  return f;
}
}  // namespace pcirig
