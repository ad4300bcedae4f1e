// include/linux/list.h and lib/list_debug.c (CONFIG_DEBUG_LIST).
//
// These helpers are plain functions, not scheduling points: the wait-queue
// functions that call them are (see wait.h), because in every modelled
// variant list updates run under some lock and the racing side is the wake
// walk, whose loads are separate points. Each pointer they follow is checked
// (KASAN: dead frame; poisoned or non-canonical pointer: general protection
// fault), and each word they touch is recorded for the KCSAN oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pcirig::model {

struct list_head {
  list_head* next;
  list_head* prev;
};

// include/linux/poison.h with POISON_POINTER_DELTA = 0xdead000000000000 (x86-64)
#define LIST_POISON1 (reinterpret_cast<::pcirig::model::list_head*>(std::uintptr_t{0xdead000000000100}))
#define LIST_POISON2 (reinterpret_cast<::pcirig::model::list_head*>(std::uintptr_t{0xdead000000000122}))

// The check every dereference of a list or wait-entry pointer goes through:
// returns p, or oopses (general protection fault / KASAN use-after-return).
const void* kasan_check(const void* p, std::size_t size, bool write, const char* fn);

// Printable, run-stable address (%px): symbols for globals, a fake stack
// address for frame objects, the raw value for poison.
std::string px(const void* p);

void INIT_LIST_HEAD(list_head* list);
bool list_empty(const list_head* head);          // READ_ONCE(head->next) == head
bool list_empty_careful(const list_head* head);  // lockless, by design (marked)

// CONFIG_DEBUG_LIST: false (and a report) when the operation must be skipped.
bool __list_add_valid(list_head* new_, list_head* prev, list_head* next);
bool __list_del_entry_valid(list_head* entry);

void list_add(list_head* new_, list_head* head);
void list_add_tail(list_head* new_, list_head* head);
void list_del(list_head* entry);       // poisons entry->next/prev
void list_del_init(list_head* entry);  // re-initialises entry
// v5.8+: pairs with list_empty_careful() (release/acquire on ->next).
void list_del_init_careful(list_head* entry);

}  // namespace pcirig::model
