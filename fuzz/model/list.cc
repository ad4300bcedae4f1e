// include/linux/list.h with lib/list_debug.c (CONFIG_DEBUG_LIST) checks.
#include "pcirig/model/list.h"

#include <cstdio>

#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

// Every pointer field a list helper touches: checked (KASAN) and recorded (KCSAN).
list_head* rd(list_head* const* field, bool marked = false) {
  kasan_check(field, sizeof(*field), false, nullptr);
  kcsan_access(field, sizeof(*field), false, marked, nullptr);
  return *field;
}
void wr(list_head** field, list_head* v, bool marked = false) {
  kasan_check(field, sizeof(*field), true, nullptr);
  kcsan_access(field, sizeof(*field), true, marked, nullptr);
  *field = v;
}

[[noreturn]] void list_bug(const char* msg) {
  // CONFIG_BUG_ON_DATA_CORRUPTION: the warning becomes "kernel BUG at lib/list_debug.c".
  oops(ReportKind::list_corruption, "BUG: corrupted list in " + title_func(current, true),
       std::string(msg) + "\nkernel BUG at lib/list_debug.c\nCall Trace:\n " + stack_string(current));
}

}  // namespace

void INIT_LIST_HEAD(list_head* list) {
  wr(&list->next, list, true);  // WRITE_ONCE(list->next, list)
  wr(&list->prev, list);
}

bool list_empty(const list_head* head) { return rd(&head->next, true) == head; }

bool list_empty_careful(const list_head* head) {
  list_head* next = rd(&head->next, true);  // smp_load_acquire(&head->next)
  return next == head && next == rd(&head->prev, true);  // READ_ONCE(head->prev)
}

bool __list_add_valid(list_head* new_, list_head* prev, list_head* next) {
  if (!world().oracles.debug_list) return true;
  char buf[200];
  list_head* np = rd(&next->prev);
  if (np != prev) {
    std::snprintf(buf, sizeof buf, "list_add corruption. next->prev should be prev (%s), but was %s. (next=%s).",
                  px(prev).c_str(), px(np).c_str(), px(next).c_str());
    list_bug(buf);
  }
  list_head* pn = rd(&prev->next);
  if (pn != next) {
    std::snprintf(buf, sizeof buf, "list_add corruption. prev->next should be next (%s), but was %s. (prev=%s).",
                  px(next).c_str(), px(pn).c_str(), px(prev).c_str());
    list_bug(buf);
  }
  if (new_ == prev || new_ == next) {
    std::snprintf(buf, sizeof buf, "list_add double add: new=%s, prev=%s, next=%s.", px(new_).c_str(),
                  px(prev).c_str(), px(next).c_str());
    list_bug(buf);
  }
  return true;
}

bool __list_del_entry_valid(list_head* entry) {
  list_head* prev = rd(&entry->prev);
  list_head* next = rd(&entry->next);
  if (!world().oracles.debug_list) return true;
  char buf[200];
  if (next == LIST_POISON1) {
    std::snprintf(buf, sizeof buf, "list_del corruption, %s->next is LIST_POISON1 (%s)", px(entry).c_str(),
                  px(LIST_POISON1).c_str());
    list_bug(buf);
  }
  if (prev == LIST_POISON2) {
    std::snprintf(buf, sizeof buf, "list_del corruption, %s->prev is LIST_POISON2 (%s)", px(entry).c_str(),
                  px(LIST_POISON2).c_str());
    list_bug(buf);
  }
  list_head* pn = rd(&prev->next);
  if (pn != entry) {
    std::snprintf(buf, sizeof buf, "list_del corruption. prev->next should be %s, but was %s", px(entry).c_str(),
                  px(pn).c_str());
    list_bug(buf);
  }
  list_head* np = rd(&next->prev);
  if (np != entry) {
    std::snprintf(buf, sizeof buf, "list_del corruption. next->prev should be %s, but was %s", px(entry).c_str(),
                  px(np).c_str());
    list_bug(buf);
  }
  return true;
}

static void __list_add(list_head* new_, list_head* prev, list_head* next) {
  if (!__list_add_valid(new_, prev, next)) return;
  wr(&next->prev, new_);
  wr(&new_->next, next);
  wr(&new_->prev, prev);
  wr(&prev->next, new_, true);  // WRITE_ONCE(prev->next, new)
}

void list_add(list_head* new_, list_head* head) { __list_add(new_, head, rd(&head->next)); }
void list_add_tail(list_head* new_, list_head* head) { __list_add(new_, rd(&head->prev), head); }

static void __list_del(list_head* prev, list_head* next) {
  wr(&next->prev, prev);
  wr(&prev->next, next, true);  // WRITE_ONCE(prev->next, next)
}

static bool __list_del_entry(list_head* entry) {
  if (!__list_del_entry_valid(entry)) return false;
  __list_del(rd(&entry->prev), rd(&entry->next));
  return true;
}

void list_del(list_head* entry) {
  if (!__list_del_entry(entry)) return;
  wr(&entry->next, LIST_POISON1);
  wr(&entry->prev, LIST_POISON2);
}

void list_del_init(list_head* entry) {
  if (!__list_del_entry(entry)) return;
  INIT_LIST_HEAD(entry);
}

void list_del_init_careful(list_head* entry) {
  if (!__list_del_entry(entry)) return;
  wr(&entry->prev, entry, true);  // WRITE_ONCE(entry->prev, entry)
  wr(&entry->next, entry, true);  // smp_store_release(&entry->next, entry)
}

}  // namespace pcirig::model
