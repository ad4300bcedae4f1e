// Who waits for whom, from one blocked-task dump: a task blocked in a lock's slow path
// waits for the lock lockdep lists last for it (lockdep records an acquisition before
// the task sleeps on it); every other lock a task lists, it holds. Edges run from a
// waiter to each holder of the lock it waits for; a cycle among tasks that stayed stuck
// is a deadlock, named lock by lock.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "hang/blocked_dump.hpp"

namespace pcirig {

struct LockWait {
  int64_t pid = -1;
  std::string primitive;  // "mutex", "rwsem", "semaphore", ""
  std::string mode;       // "read", "write" (rwsem), else ""
  const HeldLock* lock = nullptr;  // null: no lockdep list for this task
};

struct WaitAnalysis {
  bool owners_known = false;  // the dump had lockdep's held locks
  std::vector<int64_t> cycle;  // pids, each waiting for a lock the next one holds
  std::string cycle_text;      // one line, "A:1 holds X, waits for Y held by B:2, which waits for X"
  std::string body;            // the cycle, or the stuck stacks grouped by what they wait on
};

// What a blocked task waits in, from its stack (lock slow paths only).
LockWait lock_wait_of(const BlockedTask& t, const BlockedDump& d);

// `stuck`: the pids blocked with the same stack in this dump and the one before.
WaitAnalysis analyse_waits(const BlockedDump& d, const std::set<int64_t>& stuck);
}  // namespace pcirig
