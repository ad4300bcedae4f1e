// Lock-order inversion oracle, after kernel/locking/lockdep.c: a directed
// graph of lock classes, edge A -> B when B is taken while A is the most
// recent (non-trylock) held lock; a new edge closing a cycle is reported even
// if this schedule never hung. Trylocks add no edge into the tried lock.
// A subclass (down_read_nested) is its own class, "name/N", as in lockdep.
// Read acquisitions of an rwsem add no edge into it: lockdep's rules for
// read dependencies (strong paths, lockdep-design.rst) are not modelled, so
// only write and exclusive acquisitions close cycles.
#include "model/lockdep.h"

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "pcirig/model/sched.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

constexpr int MAX_CLASSES = 32;

struct Edge {
  bool present = false;
  int task = -1;
  std::string where;  // stack of the acquirer when first seen
};

// `present` is reset per run (cheap); `info` is only read where present.
struct Graph {
  std::array<std::array<bool, MAX_CLASSES>, MAX_CLASSES> present{};
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

// Path from `from` to `to` (class ids), empty if none.
bool find_path(int from, int to, std::vector<int>& path, std::array<bool, MAX_CLASSES>& seen) {
  path.push_back(from);
  if (from == to) return true;
  seen[from] = true;
  for (int n = 0; n < MAX_CLASSES; ++n)
    if (graph().present[from][n] && !seen[n] && find_path(n, to, path, seen)) return true;
  path.pop_back();
  return false;
}

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

void lockdep_reset() noexcept { graph().present = {}; }

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

void lockdep_check_acquire(lock_base* l, int mode, bool trylock, const Point& p) {
  if (!world().oracles.lockdep) return;
  task_struct* t = current;
  if (!l->cls) return;  // lockdep_set_novalidate_class()
  lock_class* cls = class_of(l, p.subclass);
  // Recursion on the same lock and subclass: a certain self-deadlock
  // (lockdep: "possible recursive locking detected").
  for (const held_lock& h : t->m.held) {
    if (trylock || h.lock != l || h.subclass != p.subclass) continue;
    oops(ReportKind::deadlock, "possible deadlock in " + title_func(t),
         std::string("WARNING: possible recursive locking detected\n") + task_tag(t) +
             " is trying to acquire lock:\n (" + cls->name + ") at: " + p.fn +
             "\n\nbut task is already holding lock:\n (" + cls->name + ") at: " + h.fn + "\n\n*** DEADLOCK ***");
  }
  if (trylock || mode == LOCK_SHARED) return;
  // The most recent held non-trylock lock with a class.
  const held_lock* prev = nullptr;
  for (auto it = t->m.held.rbegin(); it != t->m.held.rend(); ++it) {
    if (!it->lock->cls) continue;
    prev = &*it;
    if (!it->trylock) break;
  }
  if (!prev || !cls) return;
  lock_class* pcls = class_of(prev->lock, prev->subclass);
  int a = pcls->id, b = cls->id;
  if (a == b || graph().present[a][b]) return;
  std::vector<int> path;
  std::array<bool, MAX_CLASSES> seen{};
  if (find_path(b, a, path, seen)) {
    std::string body =
        "======================================================\n"
        "WARNING: possible circular locking dependency detected\n"
        "------------------------------------------------------\n";
    body += task_tag(t) + " is trying to acquire lock:\n (" + cls->name + "){....}, at: " + p.fn + "\n\n";
    body += std::string("but task is already holding lock:\n (") + pcls->name + "){....}, at: " +
            prev->fn + "\n\nwhich lock already depends on the new lock.\n\n";
    body += "the existing dependency chain (in reverse order) is:\n";
    for (std::size_t i = path.size() - 1; i > 0; --i) {
      const Edge& e = graph().info[path[i - 1]][path[i]];
      body += "\n-> #" + std::to_string(i - 1) + " (" + classes()[path[i]]->name + "){....}:\n   taken while holding " +
              classes()[path[i - 1]]->name + " by " + (e.task >= 0 ? "T" + std::to_string(e.task) : "?") +
              " in " + e.where + "\n";
    }
    body += "\nother info that might help us debug this:\n";
    body += " Chain exists of:\n   ";
    for (std::size_t i = 0; i < path.size(); ++i) body += std::string(classes()[path[i]]->name) + " --> ";
    body += cls->name;
    body += "\n\n *** DEADLOCK ***";
    oops(ReportKind::lock_inversion, "possible deadlock in " + title_func(t), body);
  }
  graph().present[a][b] = true;
  graph().info[a][b] = Edge{true, t->m.id, stack_string(t)};
}

}  // namespace pcirig::model
