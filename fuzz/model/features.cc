// Lock-order and wait-for edges as search features (libFuzzer's extra
// counters): code coverage sees which lines ran, the abstract state which
// interleaving, and these how close a schedule came to a lock cycle.
// - lock order: (held lock, its mode) -> (lock being acquired, mode, trylock),
//   for every held lock, device_lock included (lockdep skips it, but most
//   deadlocks of this family go through it); locks by name, so per device.
// - wait for: a task parked on a lock it cannot take, where it waits, the
//   lock, and where its holder is parked; and the holder's own wait, if any
//   (a chain of two waits is one edge short of the 2-task deadlock, and is the
//   middle of a 3-task one).
#include "pcirig/model/locks.h"
#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}
std::uint64_t ptr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

const task_struct* waits_for(const task_struct& t) {
  if (t.m.done || t.m.pending.kind != PointKind::acquire || t.m.pending.lock->can_take(&t, t.m.pending.mode))
    return nullptr;
  return t.m.pending.lock->blocker(&t, t.m.pending.mode);
}

}  // namespace

void feature_lock_order(const lock_base* l, int mode, bool trylock) {
  FeatureHook hook = world().feature_hook;
  if (!hook) return;
  const std::uint64_t to = mix(ptr(l->name), static_cast<std::uint64_t>(mode) << 1 | trylock);
  for (const held_lock& h : current->m.held) hook(mix(mix(1, mix(ptr(h.lock->name), h.mode)), to));
}

void feature_wait_for(std::span<const task_struct> tasks) {
  FeatureHook hook = world().feature_hook;
  if (!hook) return;
  for (const task_struct& t : tasks) {
    const task_struct* holder = waits_for(t);
    if (!holder) continue;
    std::uint64_t e = mix(mix(mix(2, ptr(t.m.pending.fn)), ptr(t.m.pending.lock->name)), ptr(holder->m.pending.fn));
    hook(e);
    if (const task_struct* next = waits_for(*holder))
      hook(mix(mix(mix(3, e), ptr(holder->m.pending.lock->name)), ptr(next == &t ? nullptr : next->m.pending.fn)));
  }
}

}  // namespace pcirig::model
