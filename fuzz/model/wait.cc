// kernel/sched/wait.c (v5.4; autoremove_wake_function as of v5.8, with
// list_del_init_careful): wait-queue add/remove, the wake walk with its
// bookmark, wake functions, prepare_to_wait_event/finish_wait.
#include "pcirig/model/wait.h"

#include "model/internal.h"

namespace pcirig::model {

wait_queue_entry::wait_queue_entry(task_struct* p, wait_queue_func_t f, unsigned int fl, bool init_list,
                                   const char* declared_in)
    : flags(fl), private_(p), func(f), entry{nullptr, nullptr} {
  if (init_list) entry.next = entry.prev = &entry;  // not yet shared: no access recorded
  stack_object_born(this, sizeof(*this), declared_in, "wait_queue_entry");
}

wait_queue_entry::~wait_queue_entry() { stack_object_died(this); }

void wait_queue_head::init(const char* n, const char* lock_name) {
  name = n;
  lock = spinlock_t{};
  lock.init(lock_name, lock_name, false);
  head.next = head.prev = &head;
}

wq_ptr NextEntry::await_resume() const {
  kasan_check(&of->next, sizeof(of->next), false, nullptr);
  kcsan_access(&of->next, sizeof(of->next), false, false, nullptr);
  return list_entry_wq(of->next);
}

Co<void> __add_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry)
{
	co_await sched_point("list_add", wq_head->name);
	list_add(&wq_entry->entry, &wq_head->head);
}

Co<void> __remove_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry)
{
	co_await sched_point("list_del", wq_head->name);
	list_del(&wq_entry->entry);
}

Co<void> add_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry)
{
	unsigned long flags;

	wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
	co_await spin_lock_irqsave(&wq_head->lock, flags);
	co_await __add_wait_queue(wq_head, wq_entry);
	co_await spin_unlock_irqrestore(&wq_head->lock, flags);
}

Co<void> remove_wait_queue(wait_queue_head* wq_head, wait_queue_entry* wq_entry)
{
	unsigned long flags;

	co_await spin_lock_irqsave(&wq_head->lock, flags);
	co_await __remove_wait_queue(wq_head, wq_entry);
	co_await spin_unlock_irqrestore(&wq_head->lock, flags);
}

/*
 * The core wakeup function. Non-exclusive wakeups (nr_exclusive == 0) just
 * wake everything up. The walk is "safe": `next` is read before the current
 * entry's wake function runs, because that function may unlink it.
 */
static Co<int> __wake_up_common(wait_queue_head* wq_head, unsigned int mode, int nr_exclusive, int wake_flags,
                                void* key, wait_queue_entry* bookmark)
{
	wq_ptr curr, next;
	int cnt = 0;

	lockdep_assert_held(&wq_head->lock);

	if (bookmark && (bookmark->flags & WQ_FLAG_BOOKMARK)) {
		curr = co_await list_next_entry(bookmark);

		list_del(&bookmark->entry);
		bookmark->flags = 0;
	} else
		curr = co_await list_first_entry(&wq_head->head);

	if (curr.entry_addr() == &wq_head->head)
		co_return nr_exclusive;

	/* list_for_each_entry_safe_from(curr, next, &wq_head->head, entry) */
	for (next = co_await list_next_entry(curr); curr.entry_addr() != &wq_head->head;
	     curr = next, next = co_await list_next_entry(next)) {
		unsigned int flags = curr->flags;
		int ret;

		if (flags & WQ_FLAG_BOOKMARK)
			continue;

		co_await sched_point("call curr->func", "curr");
		ret = co_await curr->func(curr.get(), mode, wake_flags, key);
		if (ret < 0)
			break;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;

		if (bookmark && (++cnt > WAITQUEUE_WALK_BREAK_CNT) &&
				(next.entry_addr() != &wq_head->head)) {
			bookmark->flags = WQ_FLAG_BOOKMARK;
			list_add_tail(&bookmark->entry, next.entry_addr());
			break;
		}
	}

	co_return nr_exclusive;
}

static Co<int> __wake_up_common_lock(wait_queue_head* wq_head, unsigned int mode, int nr_exclusive,
                                     int wake_flags, void* key)
{
	unsigned long flags;
	wait_queue_entry bookmark(nullptr, nullptr, 0, true);  // flags 0, private NULL, func NULL, INIT_LIST_HEAD

	do {
		co_await spin_lock_irqsave(&wq_head->lock, flags);
		nr_exclusive = co_await __wake_up_common(wq_head, mode, nr_exclusive, wake_flags, key, &bookmark);
		co_await spin_unlock_irqrestore(&wq_head->lock, flags);
	} while (bookmark.flags & WQ_FLAG_BOOKMARK);

	co_return nr_exclusive;
}

Co<void> __wake_up(wait_queue_head* wq_head, unsigned int mode, int nr_exclusive, void* key)
{
	co_await __wake_up_common_lock(wq_head, mode, nr_exclusive, 0, key);
}

Co<int> default_wake_function(wait_queue_entry* wq_entry, unsigned int mode, int wake_flags, void* key)
{
	wq_ptr curr = wq_entry;

	co_return co_await try_to_wake_up(static_cast<task_struct*>(curr->private_), mode, wake_flags);
}

Co<int> autoremove_wake_function(wait_queue_entry* wq_entry, unsigned int mode, int sync, void* key)
{
	int ret = co_await default_wake_function(wq_entry, mode, sync, key);

	if (ret) {
		co_await sched_point("list_del_init_careful", "&wq_entry->entry");
		list_del_init_careful(&wq_entry->entry);
	}

	co_return ret;
}

Co<long> prepare_to_wait_event(wait_queue_head* wq_head, wait_queue_entry* wq_entry, unsigned int state)
{
	unsigned long flags;
	long ret = 0;

	co_await spin_lock_irqsave(&wq_head->lock, flags);
	/* TASK_UNINTERRUPTIBLE: no signal check */
	if (list_empty(&wq_entry->entry)) {
		co_await __add_wait_queue(wq_head, wq_entry);
	}
	co_await set_current_state(state);
	co_await spin_unlock_irqrestore(&wq_head->lock, flags);

	co_return ret;
}

Co<void> finish_wait(wait_queue_head* wq_head, wait_queue_entry* wq_entry)
{
	unsigned long flags;

	co_await __set_current_state(TASK_RUNNING);
	/*
	 * We can check for list emptiness outside the lock IFF the entry was
	 * removed by autoremove_wake_function() with list_del_init().
	 */
	co_await sched_point("list_empty_careful", "&wq_entry->entry");
	if (!list_empty_careful(&wq_entry->entry)) {
		co_await spin_lock_irqsave(&wq_head->lock, flags);
		co_await sched_point("list_del_init", "&wq_entry->entry");
		list_del_init(&wq_entry->entry);
		co_await spin_unlock_irqrestore(&wq_head->lock, flags);
	}
}

}  // namespace pcirig::model
