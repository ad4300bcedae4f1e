// Lockdep-style lock-order graph over lock classes (lockdep.cc).
#pragma once

#include "pcirig/model/engine.h"
#include "pcirig/model/locks.h"

namespace pcirig::model {

// Called when a task is about to take `l` (before it can block): adds the
// dependency held -> l and reports a cycle ("possible circular locking
// dependency detected") or recursion.
void lockdep_check_acquire(lock_base* l, int mode, bool trylock, const Point& p);

}  // namespace pcirig::model
