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
  return f;
}
}  // namespace pcirig
