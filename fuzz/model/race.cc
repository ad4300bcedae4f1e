// KCSAN-style data-race oracle: happens-before by vector clocks (lock
// release -> acquire, try_to_wake_up -> the wakee's return from schedule()).
// Two accesses to the same word race when neither happened before the
// other, at least one writes, and not both are marked (READ_ONCE/WRITE_ONCE,
// data_race()).
#include <cstdio>
#include <unordered_map>

#include "pcirig/model/list.h"
#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

struct Access {
  std::uint32_t clock = 0;  // 0: none
  bool marked = false;
  bool write = false;
  const char* fn = nullptr;
};
struct Cell {
  int w_task = -1;
  Access w;
  std::array<Access, MAX_TASKS> r{};
};
std::unordered_map<std::uintptr_t, Cell>& shadow() {
  static std::unordered_map<std::uintptr_t, Cell> s;
  return s;
}

std::string fn_of(const char* fn) { return fn ? (std::string(fn) == "operator()" ? "wait_event" : fn) : "?"; }

[[noreturn]] void race(const void* addr, std::size_t size, int other, const Access& o, bool write, const char* fn) {
  if (!fn) fn = current->m.stack.empty() ? "?" : current->m.stack.back();
  std::string f1 = fn_of(o.fn), f2 = fn_of(fn);
  std::string body = "BUG: KCSAN: data-race in " + f1 + " / " + f2 + "\n\n";
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s to %s of %zu bytes by task %s:\n %s\n\n", write ? "write" : "read",
                px(addr).c_str(), size, task_tag(current).c_str(), stack_string(current).c_str());
  body += buf;
  std::snprintf(buf, sizeof buf, "%s to %s of %zu bytes by task T%d:\n %s\n", o.write ? "write" : "read",
                px(addr).c_str(), size, other, f1.c_str());
  body += buf;
  oops(ReportKind::data_race, "KCSAN: data-race in " + f1 + " / " + f2, body);
}

}  // namespace

void vc_join(VClock& into, const VClock& from) noexcept {
  for (int i = 0; i < MAX_TASKS; ++i)
    if (from[i] > into[i]) into[i] = from[i];
}

void kcsan_reset() noexcept { shadow().clear(); }

void kcsan_access(const void* addr, std::size_t size, bool write, bool marked, const char* fn) {
  if (!world().oracles.kcsan || !current) return;
  task_struct* t = current;
  const int me = t->m.id;
  Cell& c = shadow()[reinterpret_cast<std::uintptr_t>(addr) & ~std::uintptr_t{7}];
  auto unordered = [&](int other, const Access& a) {
    return other != me && a.clock != 0 && a.clock > t->m.vc[other] && !(marked && a.marked);
  };
  int other = -1;
  Access o;
  if (c.w_task >= 0 && unordered(c.w_task, c.w)) {
    other = c.w_task;
    o = c.w;
  } else if (write) {
    for (int i = 0; i < MAX_TASKS; ++i)
      if (unordered(i, c.r[i])) {
        other = i;
        o = c.r[i];
        break;
      }
  }
  // Name the access by where it happened (the innermost modelled frame).
  if (!fn) fn = t->m.stack.empty() ? "?" : t->m.stack.back();
  Access mine{t->m.vc[me], marked, write, fn};
  if (write) {
    c.w_task = me;
    c.w = mine;
  } else {
    c.r[me] = mine;
  }
  if (other >= 0) race(addr, size, other, o, write, fn);
}

}  // namespace pcirig::model
