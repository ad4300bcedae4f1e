// The kernel's own dumps of stuck tasks, read from the console: sysrq `w` (every task in
// D state with its stack: kernel/sched/core.c sched_show_task) and, on lockdep kernels,
// sysrq `d` ("Showing all locks held in the system": kernel/locking/lockdep.c
// lockdep_print_held_locks). The guest wrote this text: every count is capped and a line
// that fits no shape is skipped.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pcirig {

struct BlockedTask {
  std::string comm;
  int64_t pid = -1;
  char state = '?';
  std::vector<std::string> frames;  // reliable frames ("? " ones dropped), as printed: "sym+0x1/0x2 [mod]"
  std::string stack_key() const;    // the frames joined: equal keys = the task has not moved
};

struct HeldLock {
  std::string addr;  // the lock instance, hex as printed
  std::string name;  // lockdep's class name: "&dev->mutex", "crashtest_dl_b"
  std::string site;  // "func+0x1/0x2" where it was taken
};

struct TaskLocks {
  std::string comm;
  int64_t pid = -1;
  std::vector<HeldLock> locks;  // in the order taken; a task blocked on a lock lists it last
};

struct BlockedDump {
  std::vector<BlockedTask> tasks;
  std::vector<TaskLocks> held;
  bool locks_shown = false;   // a "Showing all locks held" section was read
  bool lockdep_off = false;   // "INFO: lockdep is turned off." (after a lockdep report)
  uint64_t skipped = 0;       // tasks, frames or locks past the caps

  const BlockedTask* task(int64_t pid) const;
  const TaskLocks* locks_of(int64_t pid) const;
};

// Caps on what one dump may hold.
constexpr size_t kMaxDumpTasks = 512;
constexpr size_t kMaxTaskFrames = 64;
constexpr size_t kMaxTaskLocks = 48;  // lockdep's MAX_LOCK_DEPTH

BlockedDump parse_blocked_dump(std::string_view console_text);

// The console text of the rig's dump N: between its markers "pcirig: hang dump N start"
// and "pcirig: hang dump N end" (written to /dev/kmsg around the sysrq). Empty if absent.
std::string dump_text(std::string_view console, int n);
}  // namespace pcirig
