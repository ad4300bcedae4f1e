// Lock-order inversion oracle, after kernel/locking/lockdep.c: a directed
// graph of lock classes, edge A -> B when B is taken while A is the most
// recent (non-trylock) held lock; a new edge closing a cycle is reported even
// if this schedule never hung. Trylocks add no edge into the tried lock.
// A subclass (down_read_nested) is its own class, "name/N", as in lockdep.
//
// Read acquisitions are typed as in lockdep since v5.10 (Boqun Feng's
// recursive-read series; Documentation/locking/lockdep-design.rst,
// "Dependency types and strong dependency paths"): each edge A -> B records
// which of -(ER)->, -(EN)->, -(SR)->, -(SN)-> it has been seen as (the holder
// of A Exclusive or Shared, B taken as a Recursive reader or Non-recursive:
// a writer, a mutex, or down_read(), which a queued writer can block). A
// cycle is a deadlock only if it is strong: no -(xR)-> followed by -(Sx)->
// (a recursive reader is blocked only by a writer holding the lock, and the
// next lock is only read-held). The search walks (class, previous edge was
// only -(xR)->) states, as __bfs() with lock_list::only_xr does.
#include "model/lockdep.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "pcirig/model/findings.h"
#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

constexpr int MAX_CLASSES = 32;

// Dependency bits as lockdep's DEP_*_BIT: bit = (holder exclusive) +
// 2 * (acquirer not a recursive reader).
enum : std::uint8_t { DEP_SR = 1, DEP_ER = 2, DEP_SN = 4, DEP_EN = 8 };
constexpr const char* kDepName[] = {"SR", "ER", "SN", "EN"};

// `read` as lockdep's held_lock::read: 0 exclusive, 1 non-recursive read
// (down_read), 2 recursive read (lock_map_acquire_read).
std::uint8_t calc_dep(int prev_read, int next_read) {
  return static_cast<std::uint8_t>(1u << ((prev_read == 0) + 2 * (next_read != 2)));
}

// Kept for the report that may never come, so frames, not text: formatting a
// stack on every new dependency of every run was a tenth of libFuzzer's time.
struct Edge {
  int task = -1;
  Frames where;            // the acquirer's stack when first seen
  bool held_read = false;  // the holder held the earlier lock for read
};

// Usage bits (lockdep's LOCK_ENABLED_*: taken with interrupts on), per class.
enum : std::uint8_t { USED_WRITE = 1, USED_READ = 2 };

// `dep` and `usage` are reset per run (cheap); `info` is only read where dep is set.
struct Graph {
  std::array<std::array<std::uint8_t, MAX_CLASSES>, MAX_CLASSES> dep{};
  std::array<std::uint8_t, MAX_CLASSES> usage{};
  std::array<std::array<Edge, MAX_CLASSES>, MAX_CLASSES> info;
};

std::vector<lock_class*>& classes() {
  static std::vector<lock_class*> c;
  return c;
}
Graph& graph() {
  static Graph g;
  return g;
}

// A strong path from `from` to `to` that the new dependency to -> from
// closes into a strong cycle (check_noncircular: hlock_conflict). The
// search states are (class, whether the edge into it was only -(xR)->):
// after an -(xR)-> edge, no -(Sx)-> edge may follow.
bool find_strong_path(int from, int from_read, int to, int to_read, std::vector<int>& path) {
  struct State {
    int cls;
    bool only_xr;
  };
  std::array<std::array<int, 2>, MAX_CLASSES> parent;  // state index + 1 of the predecessor, 0: unseen
  for (auto& p : parent) p = {0, 0};
  std::array<State, 2 * MAX_CLASSES> queue;
  std::size_t head = 0, tail = 0;
  auto idx = [](const State& s) { return s.cls * 2 + s.only_xr; };
  queue[tail++] = State{from, from_read == 2};
  parent[from][from_read == 2] = -1;
  while (head < tail) {
    State s = queue[head++];
    // The closing edge to -> from is -(E*)->, or the path ends -(*N)->.
    if (s.cls == to && (to_read == 0 || !s.only_xr)) {
      for (State c = s;;) {
        path.insert(path.begin(), c.cls);
        int p = parent[c.cls][c.only_xr];
        if (p < 0) break;
        c = State{(p - 1) / 2, ((p - 1) % 2) != 0};
      }
      return true;
    }
    for (int n = 0; n < MAX_CLASSES; ++n) {
      std::uint8_t d = graph().dep[s.cls][n];
      if (s.only_xr) d &= static_cast<std::uint8_t>(~(DEP_SR | DEP_SN));  // -(xR)-> -(Sx)-> is not strong
      if (!d) continue;
      State nx{n, !(d & (DEP_SN | DEP_EN))};
      if (parent[n][nx.only_xr]) continue;
      parent[n][nx.only_xr] = idx(s) + 1;
      queue[tail++] = nx;
    }
  }
  return false;
}

std::string dep_types(std::uint8_t d) {
  std::string out;
  for (int i = 0; i < 4; ++i)
    if (d & (1u << i)) out += std::string(out.empty() ? "" : " ") + "-(" + kDepName[i] + ")->";
  return out;
}

// get_usage_chars(): hardirq write, hardirq read, softirq write, softirq
// read; '+' = taken with interrupts on (the model has no IRQ context, so
// never '-' or '?').
std::string usage_chars(int cls) {
  std::uint8_t u = graph().usage[cls];
  char w = u & USED_WRITE ? '+' : '.', r = u & USED_READ ? '+' : '.';
  return std::string("{") + w + r + w + r + "}";
}

std::string lock_name(const lock_class* c) { return std::string("(") + c->name + ")" + usage_chars(c->id); }

}  // namespace

lock_class* lockdep_class(const char* name) {
  // Every run re-initialises its locks with the same name pointers: compare
  // those first (strcmp per lock per run showed up in profiles).
  for (auto* c : classes())
    if (c->name == name) return c;
  for (auto* c : classes())
    if (std::strcmp(c->name, name) == 0) return c;
  if (classes().size() >= MAX_CLASSES) return nullptr;
  auto* c = new lock_class{name, static_cast<int>(classes().size())};  // interned for the process
  classes().push_back(c);
  return c;
}

void lockdep_reset() noexcept {
  graph().dep = {};
  graph().usage = {};
}

// The class of `l` taken with `subclass` (0: its own class).
static lock_class* class_of(const lock_base* l, int subclass) {
  if (!l->cls || subclass == 0) return l->cls;
  static lock_class* cache[MAX_CLASSES][8] = {};  // by class id and subclass, for the process
  lock_class*& cached = cache[l->cls->id][subclass & 7];
  if (subclass < 8 && cached) return cached;
  static std::vector<std::string> names;  // interned for the process
  std::string n = std::string(l->cls->name) + "/" + std::to_string(subclass);
  for (auto& x : names)
    if (x == n) return lockdep_class(x.c_str());
  names.reserve(64);
  if (names.size() >= 64) return l->cls;
  names.push_back(n);
  lock_class* c = lockdep_class(names.back().c_str());
  if (subclass < 8) cached = c;
  return c;
}

void lockdep_check_acquire(lock_base* l, int read, bool trylock, bool irqs_off, const Point& p) {
  if (!world().oracles.lockdep) return;
  task_struct* t = current;
  if (!l->cls) return;  // lockdep_set_novalidate_class()
  lock_class* cls = class_of(l, p.subclass);
  if (!cls) return;
  if (!irqs_off) graph().usage[cls->id] |= read ? USED_READ : USED_WRITE;  // mark_usage()
  // Recursion on the same lock and subclass: a certain self-deadlock
  // (lockdep: "possible recursive locking detected"), except a recursive
  // read after a read (check_deadlock()).
  for (const held_lock& h : t->m.held) {
    if (trylock || h.lock != l || h.subclass != p.subclass) continue;
    if (read == 2 && h.mode != 0) continue;
    oops(ReportKind::deadlock, "possible deadlock in " + title_func(t),
         std::string("WARNING: possible recursive locking detected\n") + task_tag(t) +
             " is trying to acquire lock:\n " + lock_name(cls) + ", at: " + p.fn +
             "\n\nbut task is already holding lock:\n " + lock_name(cls) + ", at: " + h.fn + "\n\n*** DEADLOCK ***");
  }
  if (trylock) return;
  // The most recent held non-trylock lock with a class.
  const held_lock* prev = nullptr;
  for (auto it = t->m.held.rbegin(); it != t->m.held.rend(); ++it) {
    if (!it->lock->cls) continue;
    prev = &*it;
    if (!it->trylock) break;
  }
  if (!prev) return;
  lock_class* pcls = class_of(prev->lock, prev->subclass);
  int a = pcls->id, b = cls->id;
  std::uint8_t bit = calc_dep(prev->mode, read);
  if (a == b || (graph().dep[a][b] & bit)) return;
  std::vector<int> path;  // b .. a: the existing strong path that a -> b closes
  if (find_strong_path(b, read, a, prev->mode, path)) {
    std::string body =
        "======================================================\n"
        "WARNING: possible circular locking dependency detected\n"
        "------------------------------------------------------\n";
    body += task_tag(t) + " is trying to acquire lock:\n " + lock_name(cls) + ", at: " + p.fn + "\n\n";
    body += "but task is already holding lock:\n " + lock_name(pcls) + ", at: " + prev->fn +
            "\n\nwhich lock already depends on the new lock.\n\n";
    body += "the existing dependency chain (in reverse order) is:\n";
    for (std::size_t i = path.size() - 1; i > 0; --i) {
      int x = path[i - 1], y = path[i];
      const Edge& e = graph().info[x][y];
      body += "\n-> #" + std::to_string(i - 1) + " " + lock_name(classes()[y]) + ":\n   " +
              dep_types(graph().dep[x][y]) + " taken while holding " + classes()[x]->name + (e.held_read ? " (read)" : "") +
              " by " + (e.task >= 0 ? "T" + std::to_string(e.task) : "?") + " in " + e.where.str() + "\n";
    }
    body += "\nother info that might help us debug this:\n";
    body += " Chain exists of:\n   ";
    for (std::size_t i = 0; i < path.size(); ++i) body += std::string(classes()[path[i]]->name) + " --> ";
    body += cls->name;
    body += "\n\n new dependency: " + std::string(pcls->name) + " " + dep_types(bit) + " " + cls->name;
    body += "\n\n *** DEADLOCK ***";
    Report r{ReportKind::lock_inversion, "possible deadlock in " + title_func(t), std::move(body), t->m.id,
             world().step};
    const Finding* known = world().skip_known ? known_finding(r) : nullptr;
    if (!known) oops(r.kind, std::move(r.title), std::move(r.body));
    if (!world().known_lockdep) world().known_lockdep = known->name;
  }
  if (!graph().dep[a][b]) graph().info[a][b] = Edge{t->m.id, Frames::of(t), prev->mode != 0};
  graph().dep[a][b] |= bit;
}

}  // namespace pcirig::model
