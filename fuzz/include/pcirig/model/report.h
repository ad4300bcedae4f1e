// What an oracle hands back: a kind, a one-line kernel-style title, the body
// (the kernel's own message, as the console would show it).
#pragma once

#include <cstdint>
#include <string>

namespace pcirig::model {

enum class ReportKind : std::uint8_t {
  list_corruption,   // CONFIG_DEBUG_LIST, or a walk meeting a poisoned entry
  use_after_return,  // access to a wait entry whose frame is gone
  hung_task,         // uninterruptible sleeper nobody can wake (lost wake-up)
  deadlock,          // a cycle of tasks waiting on each other's locks
  lock_inversion,    // lockdep: a cycle in the lock-order graph of the run
  atomic_sleep,      // might_sleep() with preemption or interrupts off
  warn,              // WARN_ON in the modelled code
  data_race,         // KCSAN-style: unordered accesses, one a write
  protocol,          // user config access while the device is blocked
  bad_unlock,        // unlock of a lock the task does not hold
  bug,               // BUG_ON() in the modelled code
};

const char* kind_name(ReportKind k) noexcept;

struct Report {
  ReportKind kind{};
  std::string title;  // e.g. "KASAN: stack-use-after-return Read in __wake_up_common"
  std::string body;   // kernel-style message lines
  int task = -1;      // the task that hit it (-1: global, e.g. a deadlock)
  std::uint64_t step = 0;
};

}  // namespace pcirig::model
