// Frame objects (wait entries, bookmarks) and the KASAN-style pointer check.
#include <cstdio>

#include "pcirig/model/list.h"
#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {

void stack_object_born(const void* p, std::size_t n, const char* fn, const char* what) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  auto& objs = world().stack_objects;
  // A re-registration at a live address (a unit test reusing a real stack
  // slot) retires the old record first.
  for (auto& o : objs)
    if (o.died == 0 && o.begin == a) o.died = world().step ? world().step : 1;
  objs.push_back(StackObject{a, a + n, current ? current->m.id : -1, fn, what, world().step, 0});
}

void stack_object_died(const void* p) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  auto& objs = world().stack_objects;
  for (auto it = objs.rbegin(); it != objs.rend(); ++it)
    if (it->begin == a && it->died == 0) {
      it->died = world().step ? world().step : 1;
      return;
    }
}

const StackObject* stack_object_at(const void* p) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  const auto& objs = world().stack_objects;
  for (auto it = objs.rbegin(); it != objs.rend(); ++it)
    if (a >= it->begin && a < it->end) return &*it;
  return nullptr;
}

const void* kasan_check(const void* p, std::size_t size, bool write, const char* /*fn*/) {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  char buf[256];
  if (a < 4096) {
    std::snprintf(buf, sizeof buf,
                  "BUG: kernel NULL pointer dereference, address: %016lx\n"
                  "#PF: supervisor %s access in kernel mode",
                  static_cast<unsigned long>(a), write ? "write" : "read");
    oops(ReportKind::list_corruption,
         "BUG: unable to handle kernel NULL pointer dereference in " + title_func(current, true),
         std::string(buf) + "\nCall Trace:\n " + stack_string(current));
  }
  if ((a >> 47) != 0) {  // LIST_POISON1/2 (+offsets) are non-canonical on x86-64
    std::snprintf(buf, sizeof buf,
                  "general protection fault, probably for non-canonical address 0x%lx: 0000 [#1] SMP\n"
                  "(a list walk followed a poisoned pointer: LIST_POISON1 = 0xdead000000000100, "
                  "LIST_POISON2 = 0xdead000000000122)",
                  static_cast<unsigned long>(a));
    oops(ReportKind::list_corruption, "general protection fault in " + title_func(current, true),
         std::string(buf) + "\nCall Trace:\n " + stack_string(current));
  }
  const StackObject* o = stack_object_at(p);
  if (o && o->died != 0) {
    task_struct* owner = task_by_id(o->owner);
    std::string body = "BUG: KASAN: stack-use-after-return in " + title_func(current, true) + "\n";
    std::snprintf(buf, sizeof buf, "%s of size %zu at addr %s by task %s\n\n", write ? "Write" : "Read", size,
                  px(p).c_str(), task_tag(current).c_str());
    body += buf;
    std::snprintf(buf, sizeof buf,
                  "The buggy address belongs to stack of task %s\n"
                  "and is located at offset %lu in frame: %s (a %s, born at step %llu; %s returned at step %llu)",
                  owner ? task_tag(owner).c_str() : "?", static_cast<unsigned long>(a - o->begin), o->fn, o->what,
                  static_cast<unsigned long long>(o->born), o->fn, static_cast<unsigned long long>(o->died));
    body += buf;
    oops(ReportKind::use_after_return,
         std::string("KASAN: stack-use-after-return ") + (write ? "Write" : "Read") + " in " + title_func(current, true),
         body);
  }
  return p;
}

}  // namespace pcirig::model
