// Lockdep-style lock-order graph over lock classes (lockdep.cc).
#pragma once

#include "pcirig/model/engine.h"
#include "pcirig/model/locks.h"

namespace pcirig::model {

// Called when a task is about to take `l` (before it can block): marks the
// class's usage, adds the typed dependency held -> l and reports a strong
// cycle ("possible circular locking dependency detected") or recursion.
// `read` as lockdep's: 0 exclusive, 1 read (down_read), 2 recursive read.
void lockdep_check_acquire(lock_base* l, int read, bool trylock, bool irqs_off, const Point& p);

}  // namespace pcirig::model
