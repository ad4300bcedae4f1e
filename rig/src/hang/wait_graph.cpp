#include "hang/wait_graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>

#include "console/crash_title.hpp"

namespace pcirig {
namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

std::string task_label(const std::string& comm, int64_t pid) { return fmt::format("{}:{}", comm, pid); }

std::string lock_label(const HeldLock& l) { return fmt::format("{} ({})", l.name, l.addr); }

// The first frame that is not scheduler or lock plumbing: where the task asked for the lock.
std::string caller_of(const BlockedTask& t) {
  for (auto& f : t.frames) {
    std::string s = frame_symbol(f);
    if (!is_infrastructure_frame(s)) return s;
  }
  return "?";
}
}  // namespace

LockWait lock_wait_of(const BlockedTask& t, const BlockedDump& d) {
  LockWait w;
  w.pid = t.pid;
  for (auto& f : t.frames) {
    std::string s = frame_symbol(f);
    if (s == "rwsem_down_read_slowpath" || s == "down_read" || starts_with(s, "down_read_")) {
      w.primitive = "rwsem", w.mode = "read";
    } else if (s == "rwsem_down_write_slowpath" || s == "down_write" || starts_with(s, "down_write_")) {
      w.primitive = "rwsem", w.mode = "write";
    } else if (starts_with(s, "__mutex_lock") || starts_with(s, "mutex_lock")) {
      w.primitive = "mutex";
    } else if (s == "__down" || starts_with(s, "__down_") || s == "down" || starts_with(s, "down_interruptible") ||
               starts_with(s, "down_killable") || s == "down_timeout") {
      w.primitive = "semaphore";
    } else {
      continue;
    }
    break;
  }
  // Semaphores have no lockdep map: only mutexes and rwsems are in the held list.
  if (w.primitive == "mutex" || w.primitive == "rwsem")
    if (const TaskLocks* tl = d.locks_of(t.pid); tl && !tl->locks.empty()) w.lock = &tl->locks.back();
  return w;
}

WaitAnalysis analyse_waits(const BlockedDump& d, const std::set<int64_t>& stuck) {
  WaitAnalysis a;
  a.owners_known = d.locks_shown && !d.lockdep_off;
  std::map<int64_t, LockWait> waits;
  for (auto& t : d.tasks)
    if (stuck.count(t.pid)) waits[t.pid] = lock_wait_of(t, d);
  // Holders by lock instance: every listed lock except the one a waiter waits for.
  std::map<std::string, std::vector<int64_t>> holders;
  for (auto& tl : d.held) {
    auto w = waits.find(tl.pid);
    for (size_t i = 0; i < tl.locks.size(); i++) {
      if (w != waits.end() && w->second.lock == &tl.locks[i]) continue;
      holders[tl.locks[i].addr].push_back(tl.pid);
    }
  }
  auto comm_of = [&](int64_t pid) -> std::string {
    if (auto* t = d.task(pid)) return t->comm;
    if (auto* tl = d.locks_of(pid)) return tl->comm;
    return "?";
  };

  // A cycle among the stuck tasks (depth-first, in dump order so the answer is stable).
  std::map<int64_t, int> colour;
  std::vector<int64_t> path;
  std::function<bool(int64_t)> dfs = [&](int64_t p) -> bool {
    colour[p] = 1;
    path.push_back(p);
    const LockWait& w = waits[p];
    if (w.lock) {
      for (int64_t h : holders[w.lock->addr]) {
        if (h == p || !waits.count(h)) continue;
        if (colour[h] == 1) {
          auto from = std::find(path.begin(), path.end(), h);
          a.cycle.assign(from, path.end());
          return true;
        }
        if (colour[h] == 0 && dfs(h)) return true;
      }
    }
    colour[p] = 2;
    path.pop_back();
    return false;
  };
  if (a.owners_known)
    for (auto& t : d.tasks)
      if (waits.count(t.pid) && colour[t.pid] == 0 && dfs(t.pid)) break;

  std::string body;
  if (!a.cycle.empty()) {
    size_t n = a.cycle.size();
    auto wait_label = [&](int64_t pid) {
      const LockWait& w = waits[pid];
      return lock_label(*w.lock) + (w.mode.empty() ? "" : " (" + w.mode + ")");
    };
    const LockWait& last = waits[a.cycle.back()];
    a.cycle_text = fmt::format("{} holds {}, waits for {} held by {}", task_label(comm_of(a.cycle[0]), a.cycle[0]),
                               lock_label(*last.lock), wait_label(a.cycle[0]),
                               task_label(comm_of(a.cycle[1]), a.cycle[1]));
    for (size_t i = 1; i < n; i++) {
      a.cycle_text += ", which waits for " + wait_label(a.cycle[i]);
      if (i + 1 < n) a.cycle_text += " held by " + task_label(comm_of(a.cycle[i + 1]), a.cycle[i + 1]);
    }
    body += fmt::format("Deadlock: a wait-for cycle of {} tasks (lockdep's held locks and the blocked stacks):\n", n);
    for (size_t i = 0; i < n; i++) {
      int64_t p = a.cycle[i], next = a.cycle[(i + 1) % n];
      body += fmt::format("  {} in {} waits for {}, held by {}\n", task_label(comm_of(p), p), caller_of(*d.task(p)),
                          wait_label(p), task_label(comm_of(next), next));
    }
    body += "  " + a.cycle_text + "\n";
  } else {
    // No cycle: the stuck tasks grouped by what they wait on.
    std::map<std::string, std::vector<int64_t>> groups;
    std::vector<std::string> order;
    for (auto& t : d.tasks) {
      if (!stuck.count(t.pid)) continue;
      const LockWait& w = waits[t.pid];
      std::string key;
      if (w.lock) {
        key = fmt::format("{} {}{}", w.primitive, lock_label(*w.lock), w.mode.empty() ? "" : " (" + w.mode + ")");
        auto h = holders.find(w.lock->addr);
        std::string hs;
        if (h != holders.end())
          for (int64_t p : h->second) hs += (hs.empty() ? "" : ", ") + task_label(comm_of(p), p);
        key += hs.empty() ? ", holder not listed" : ", held by " + hs;
      } else if (!w.primitive.empty()) {
        key = fmt::format("a {} taken in {} (owner unknown)", w.primitive, caller_of(t));
      } else {
        key = fmt::format("not a lock: in {}", caller_of(t));
      }
      if (!groups.count(key)) order.push_back(key);
      groups[key].push_back(t.pid);
    }
    body += a.owners_known ? "No wait-for cycle among the stuck tasks; they wait on:\n"
                           : "Lock owners unknown (no lockdep held-lock list); the stuck tasks by what they wait on:\n";
    for (auto& k : order) {
      body += "  " + k + ":";
      for (int64_t p : groups[k]) body += " " + task_label(comm_of(p), p);
      body += "\n";
    }
  }
  body += "\nStuck tasks (same stack in consecutive dumps):\n";
  for (auto& t : d.tasks) {
    if (!stuck.count(t.pid)) continue;
    body += fmt::format("task:{} state:{} pid:{}\n", t.comm, t.state, t.pid);
    for (auto& f : t.frames) body += "  " + f + "\n";
    if (auto* tl = d.locks_of(t.pid))
      for (size_t i = 0; i < tl->locks.size(); i++)
        body += fmt::format("  #{}: {} ({}), at: {}\n", i, tl->locks[i].addr, tl->locks[i].name, tl->locks[i].site);
  }
  // Tasks that blocked later (or moved between dumps) are not counted stuck, but what
  // they wait in often explains the stuck ones (a reset worker in a queue freeze).
  bool others = false;
  for (auto& t : d.tasks) {
    if (stuck.count(t.pid)) continue;
    if (!others) body += "\nAlso blocked in the last dump (not in every dump, or their stacks moved):\n";
    others = true;
    body += fmt::format("task:{} state:{} pid:{}\n", t.comm, t.state, t.pid);
    for (auto& f : t.frames) body += "  " + f + "\n";
  }
  a.body = body;
  return a;
}
}  // namespace pcirig
