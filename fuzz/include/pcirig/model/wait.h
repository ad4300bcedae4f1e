// kernel/sched/wait.c and include/linux/wait.h as of v5.4: the wait queue
// (a spinlock plus a circular list of entries living in waiters' frames),
// the wake walk with its bookmark, wake functions, wait_event/finish_wait.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pcirig/model/co.h"
#include "pcirig/model/list.h"
#include "pcirig/model/locks.h"
#include "pcirig/model/sched.h"

namespace pcirig::model {

inline constexpr unsigned int WQ_FLAG_EXCLUSIVE = 0x01;
inline constexpr unsigned int WQ_FLAG_WOKEN = 0x02;
inline constexpr unsigned int WQ_FLAG_BOOKMARK = 0x04;
inline constexpr int WAITQUEUE_WALK_BREAK_CNT = 64;

struct wait_queue_entry;
using wait_queue_func_t = Co<int> (*)(wait_queue_entry* wq_entry, unsigned int mode, int flags, void* key);

struct wait_queue_entry {
  unsigned int flags;
  void* private_;  // the task (kernel: `private`)
  wait_queue_func_t func;
  list_head entry;

  // Model: an entry is a frame object of the function declaring it; its
  // death (that function returning) is what the use-after-return oracle sees.
  // init_list: init_wait_entry() does INIT_LIST_HEAD; DECLARE_WAITQUEUE
  // leaves the pointers NULL.
  wait_queue_entry(task_struct* p, wait_queue_func_t f, unsigned int fl = 0, bool init_list = false,
                   const char* declared_in = __builtin_FUNCTION());
  ~wait_queue_entry();
  wait_queue_entry(const wait_queue_entry&) = delete;
  wait_queue_entry& operator=(const wait_queue_entry&) = delete;
};

struct wait_queue_head {
  spinlock_t lock;
  list_head head;
  const char* name = "";  // model: for traces
  void init(const char* name, const char* lock_name);
};

// A wait-entry pointer whose every dereference is checked (kasan_check):
// lets __wake_up_common read `curr->func` exactly as the kernel does.
class wq_ptr {
 public:
  wq_ptr(wait_queue_entry* p = nullptr) : p_(p) {}  // NOLINT: implicit like a raw pointer
  wait_queue_entry* operator->() const {
    kasan_check(p_, sizeof(wait_queue_entry), false, nullptr);
    return p_;
  }
  wait_queue_entry* get() const { return p_; }
  // &pos->entry without a dereference (list_entry_is_head).
  list_head* entry_addr() const {
    return reinterpret_cast<list_head*>(reinterpret_cast<std::uintptr_t>(p_) + offsetof(wait_queue_entry, entry));
  }

 private:
  wait_queue_entry* p_;
};

inline wait_queue_entry* list_entry_wq(const list_head* ptr) {
  return reinterpret_cast<wait_queue_entry*>(reinterpret_cast<std::uintptr_t>(ptr) -
                                             offsetof(wait_queue_entry, entry));
}

// list_next_entry(pos, entry) / list_first_entry(head, ...): a scheduling
// point, then a checked plain load of `of->next` (the loads the wake walk
// races on).
struct NextEntry {
  list_head* of;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  wq_ptr await_resume() const;
};
inline NextEntry list_next_entry(wq_ptr pos, PCIRIG_FN_LINE) {
  return {pos.entry_addr(), Point{PointKind::step, "list_next_entry", "pos->entry.next", fn, line}};
}
inline NextEntry list_first_entry(list_head* head, PCIRIG_FN_LINE) {
  return {head, Point{PointKind::step, "list_first_entry", "head->next", fn, line}};
}

Co<int> default_wake_function(wait_queue_entry* wq_entry, unsigned int mode, int wake_flags, void* key);
Co<int> autoremove_wake_function(wait_queue_entry* wq_entry, unsigned int mode, int wake_flags, void* key);

#define DECLARE_WAITQUEUE(name, tsk) ::pcirig::model::wait_queue_entry name((tsk), ::pcirig::model::default_wake_function)

Co<void> __add_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
Co<void> __remove_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
Co<void> add_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);
Co<void> remove_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry);

Co<void> __wake_up(wait_queue_head* wq_head, unsigned int mode, int nr_exclusive, void* key);
// include/linux/wait.h: #define wake_up_all(x) __wake_up(x, TASK_NORMAL, 0, NULL)
inline Co<void> wake_up_all(wait_queue_head* wq_head) { return __wake_up(wq_head, TASK_NORMAL, 0, nullptr); }

Co<long> prepare_to_wait_event(wait_queue_head* wq_head, wait_queue_entry* wq_entry, unsigned int state);
Co<void> finish_wait(wait_queue_head* wq_head, wait_queue_entry* wq_entry);

// wait_event(wq_head, condition): the kernel macro's loop. The entry lives in
// this function's frame (the kernel's lives in the macro user's frame; both
// die when the wait is over, after finish_wait unlinked it).
template <class Cond>
Co<void> ___wait_event(wait_queue_head* wq_head, Cond condition) {
  might_sleep();
  if (bool done = co_await condition()) co_return;
  wait_queue_entry __wq_entry(current, autoremove_wake_function, 0, true);  // init_wait_entry(&__wq_entry, 0)
  for (;;) {
    co_await prepare_to_wait_event(wq_head, &__wq_entry, TASK_UNINTERRUPTIBLE);
    if (bool done = co_await condition()) break;
    co_await schedule();
  }
  co_await finish_wait(wq_head, &__wq_entry);
}
#define wait_event(wq_head, condition) \
  ::pcirig::model::___wait_event(&(wq_head), [&]() -> ::pcirig::model::Co<bool> { co_return (condition); })

}  // namespace pcirig::model
