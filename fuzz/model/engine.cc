// The deterministic engine: runs a scenario's tasks as coroutines, one
// scheduling point at a time, asking a Chooser whenever more than one task
// can run; detects quiescent hangs (deadlock, hung task) itself.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>

#include "pcirig/model/kernel.h"
#include "pcirig/model/run.h"
#include "model/callers.h"
#include "model/internal.h"
#include "pcirig/model/pci.h"

namespace pcirig::model {
namespace {

World g_world;
task_struct g_tasks[MAX_TASKS];
int g_ntasks = 0;
const Variant* g_variant = nullptr;

}  // namespace

World& world() noexcept { return g_world; }
std::span<task_struct> run_tasks_view() noexcept { return {g_tasks, static_cast<std::size_t>(g_ntasks)}; }
task_struct* task_by_id(int id) noexcept { return (id >= 0 && id < g_ntasks) ? &g_tasks[id] : nullptr; }

const kernel_ops& kernel() noexcept { return g_variant->ops; }

std::string task_tag(const task_struct* t) {
  if (!t) return "?";
  return std::string(t->comm) + "/" + std::to_string(t->pid);
}

void park(std::coroutine_handle<> h, const Point& p) noexcept {
  current->m.leaf = h;
  current->m.pending = p;
  current->m.last_read = nullptr;  // a bitfield READ sets it again as it resumes: a WARN_ON's operand
}

void frame_push(const char* fn) noexcept {
  if (current) current->m.stack.push_back(fn);
}
void frame_pop() noexcept {
  if (current && !current->m.stack.empty()) current->m.stack.pop_back();
}

void record_report(ReportKind kind, std::string title, std::string body, const task_struct* t) {
  World& w = g_world;
  if (w.has_report) return;
  w.has_report = true;
  if (title.size() > 120) title.resize(120);  // syzkaller caps titles at 120 characters
  w.report = Report{kind, std::move(title), std::move(body), t ? t->m.id : -1, w.step};
}

void oops(ReportKind kind, std::string title, std::string body) {
  record_report(kind, std::move(title), std::move(body), current);
  throw Halt{};
}

bool warn_on(bool cond, const char* cond_text, const char* fn, int line) {
  if (cond) {
    std::string body = std::string("WARNING: CPU: 0 PID: ") + std::to_string(current->pid) + " at drivers/pci/access.c " +
                       fn + "\nWARN_ON(" + cond_text + ")\nCall Trace:\n " + stack_string(current);
    // As KASAN names who freed an object: the bit this task just read was cleared
    // by another task, whose stack is the half of the story the WARN does not show.
    const bitfield* bf = current->m.last_read;
    if (bf && bf->last_clearer && bf->last_clearer != current)
      body += std::string("\n\n") + bf->name + " last cleared by " + task_tag(bf->last_clearer) + ":\n " +
              bf->cleared_in.str();
    oops(ReportKind::warn, std::string("WARNING in ") + fn, std::move(body));
  }
  return cond;
}

// ---- titles ----

static bool is_infra(const char* fn, bool memory_error) {
  if (std::strncmp(fn, "___wait_event", 13) == 0) return !memory_error;  // a template: wait_event<cond>
  static const char* prefixes[] = {"raw_spin", "spin_", "_raw_", "mutex_", "down_", "up_", "list_", "__list",
                                   "might_sleep", "lock_", "pci_lock_config", "pci_unlock_config",
                                   "pci_ops_"};  // pci_ops_*: dev->bus->ops->read/write, an indirect call
  for (const char* p : prefixes)
    if (std::strncmp(fn, p, std::strlen(p)) == 0) return true;
  if (std::strcmp(fn, "operator()") == 0 || std::strcmp(fn, "pcirig_task") == 0) return true;
  if (memory_error) return false;
  static const char* wait_helpers[] = {"___wait_event", "prepare_to_wait_event", "finish_wait", "schedule",
                                       "try_to_wake_up", "ttwu_do_wakeup", "default_wake_function",
                                       "autoremove_wake_function", "__wake_up", "__wake_up_common",
                                       "__wake_up_common_lock", "add_wait_queue", "remove_wait_queue",
                                       "__add_wait_queue", "__remove_wait_queue"};
  for (const char* p : wait_helpers)
    if (std::strcmp(fn, p) == 0) return true;
  return false;
}

std::string title_func(const task_struct* t, bool memory_error) {
  if (!t || t->m.stack.empty()) return "?";
  for (auto it = t->m.stack.rbegin(); it != t->m.stack.rend(); ++it)
    if (!is_infra(*it, memory_error)) return *it;
  return t->m.stack.back();
}

std::string stack_string(const task_struct* t) {
  if (!t) return {};
  return stack_string(std::span<const char* const>(t->m.stack));
}

Frames Frames::of(const task_struct* t) {
  Frames fr;
  const auto& st = t->m.stack;
  std::size_t k = std::min(st.size(), MAX);
  std::copy(st.end() - std::ptrdiff_t(k), st.end(), fr.f.begin());
  fr.n = std::uint8_t(k);
  fr.cut = st.size() > k;
  return fr;
}

std::string Frames::str() const {
  return stack_string(std::span<const char* const>(f.data(), n)) + (cut ? " <- ..." : "");
}

std::string stack_string(std::span<const char* const> frames) {
  std::string s;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if (std::strcmp(*it, "pcirig_task") == 0) continue;
    if (!s.empty()) s += " <- ";
    s += std::strcmp(*it, "operator()") == 0 ? "(wait_event condition)" : *it;
  }
  return s;
}

// ---- the run ----

// lockdep's check when a task leaves the kernel (lockdep_sys_exit; a kworker
// is checked after each work item the same way): nothing may still be held.
// device_lock is novalidate but still in held_locks, so a walk that skips a
// device on unlock is caught where it happens, not later by a hung waiter.
static void leaked_locks_check(const task_struct& t) {
  if (!g_world.oracles.lockdep || t.m.held.empty() || g_world.has_report) return;
  const held_lock& h = t.m.held.front();
  std::string body = "================================================\n"
                     "WARNING: lock held when returning to user space!\n"
                     "------------------------------------------------\n" +
                     task_tag(&t) + " is leaving the kernel with locks still held!\n" +
                     std::to_string(t.m.held.size()) + " lock(s) held by " + task_tag(&t) + ":\n";
  for (std::size_t i = 0; i < t.m.held.size(); ++i)
    body += " #" + std::to_string(i) + ": " + t.m.held[i].lock->name + ", at: " + t.m.held[i].fn + " <- " +
            t.m.held[i].caller + "\n";
  record_report(ReportKind::bad_unlock, std::string("WARNING: lock held when returning to user space in ") + h.fn, body,
                &t);
  throw Halt{};
}

// Each call is one syscall or work item: checked as it returns.
static Co<void> pcirig_task(std::vector<CallSpec> calls)
{
	for (const CallSpec& c : calls) {
		co_await run_call(c);
		leaked_locks_check(*current);
	}
}

static bool enabled(const task_struct& t) {
  if (t.m.done) return false;
  switch (t.m.pending.kind) {
    case PointKind::step: return true;
    case PointKind::acquire: return t.m.pending.lock->can_take(&t, t.m.pending.mode);
    case PointKind::sleep: return t.__state == TASK_RUNNING;
  }
  return true;
}

// No task can run but some are not done: a deadlock or a hung task.
static void quiescence_report() {
  // Wait-for graph: a task parked on a lock waits for one of its holders.
  auto waits_for = [](const task_struct& t) -> const task_struct* {
    if (t.m.done || t.m.pending.kind != PointKind::acquire) return nullptr;
    return t.m.pending.lock->blocker(&t, t.m.pending.mode);
  };
  for (int i = 0; i < g_ntasks; ++i) {
    // Follow the chain from task i; a revisit of i is a cycle through it.
    const task_struct* cur = &g_tasks[i];
    std::vector<const task_struct*> chain{cur};
    for (int hops = 0; hops < g_ntasks; ++hops) {
      cur = waits_for(*cur);
      if (!cur) break;
      if (cur == &g_tasks[i]) {
        bool spinning = true;
        std::string body = "pcirig: deadlock, every task below waits for a lock the next one holds:\n";
        for (const task_struct* t : chain) {
          spinning = spinning && !t->m.pending.lock->sleeping;
          body += " " + task_tag(t) + " waits for " + t->m.pending.lock->name +
                  (t->m.pending.mode == 1 ? " (read)" : "") + " in " + t->m.pending.fn +
                  "\n   " + stack_string(t) + "\n";
        }
        body += " *** DEADLOCK ***";
        record_report(ReportKind::deadlock,
                      (spinning ? "BUG: soft lockup in " : "INFO: task hung in ") + title_func(&g_tasks[i]), body,
                      &g_tasks[i]);
        return;
      }
      chain.push_back(cur);
    }
  }
  if (!g_world.oracles.hung_task) return;
  // khungtaskd reports every task blocked that long, then calls
  // debug_show_all_locks() (CONFIG_LOCKDEP): who holds and waits for what
  // tells a cycle through a sleeper apart from a lost wake-up.
  auto all_locks_held = [](const task_struct& first) {
    std::string s;
    for (int i = 0; i < g_ntasks; ++i) {
      const task_struct& t = g_tasks[i];
      if (t.m.done || &t == &first) continue;
      s += "\n\nINFO: task " + task_tag(&t) + " blocked for more than 120 seconds.\nCall Trace:\n " + stack_string(&t);
      if (t.m.pending.kind == PointKind::acquire) s += std::string(" (waits for ") + t.m.pending.lock->name + ")";
    }
    s += "\n\nShowing all locks held in the system:";
    for (int i = 0; i < g_ntasks; ++i) {
      const task_struct& t = g_tasks[i];
      if (t.m.done || t.m.held.empty()) continue;
      s += "\n" + std::to_string(t.m.held.size()) + (t.m.held.size() == 1 ? " lock" : " locks") + " held by " +
           task_tag(&t) + ":";
      for (std::size_t k = 0; k < t.m.held.size(); ++k)
        s += "\n #" + std::to_string(k) + ": (" + t.m.held[k].lock->name + "), at: " + t.m.held[k].fn;
    }
    return s;
  };
  // A sleeper nobody can wake: the lost wake-up.
  for (int i = 0; i < g_ntasks; ++i) {
    const task_struct& t = g_tasks[i];
    if (t.m.done) continue;
    if (t.m.pending.kind == PointKind::sleep) {
      std::string body = "INFO: task " + task_tag(&t) + " blocked for more than 120 seconds.\n" +
                         "task:" + t.comm + " state:D (slept at step " + std::to_string(t.m.slept_at) +
                         "; no task left that can wake it)\nCall Trace:\n " + stack_string(&t) + all_locks_held(t);
      record_report(ReportKind::hung_task, "INFO: task hung in " + title_func(&t), body, &t);
      return;
    }
  }
  // Waiting on a lock whose holder finished without releasing it.
  for (int i = 0; i < g_ntasks; ++i) {
    const task_struct& t = g_tasks[i];
    if (t.m.done) continue;
    record_report(ReportKind::hung_task, "INFO: task hung in " + title_func(&t),
                  "INFO: task " + task_tag(&t) + " waits forever for " + t.m.pending.lock->name +
                      " (its holder is gone)\nCall Trace:\n " + stack_string(&t) + all_locks_held(t),
                  &t);
    return;
  }
}

static std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

// Abstract state: each task's pc and state, lock owners, the blocked bits and
// the wait queue's contents (by owning task), for libFuzzer's extra counters.
static std::uint64_t abstract_state() {
  auto owner_id = [](const task_struct* t) -> std::uint64_t { return t ? 1 + t->m.id : 0; };
  std::uint64_t h = 0;
  for (int i = 0; i < g_ntasks; ++i) {
    const task_struct& t = g_tasks[i];
    h = mix(h, reinterpret_cast<std::uintptr_t>(t.m.pending.fn));
    h = mix(h, static_cast<std::uint64_t>(t.m.pending.line) << 8 | t.m.done << 4 | t.__state);
    h = mix(h, owner_id(t.pi_lock.owner));
  }
  h = mix(h, owner_id(pci_lock.owner));
  h = mix(h, owner_id(pci_cfg_wait.lock.owner));
  for (int d = 0; d < run_ndevs(); ++d) {
    pci_dev* dev = pci_dev_by_id(d);
    h = mix(h, dev->bitfield_word << 8 | owner_id(dev->dev.mutex.owner));
    if (dev->vfio) h = mix(h, static_cast<std::uint64_t>(dev->vfio->open_count) << 4 | owner_id(dev->vfio->memory_lock.writer));
  }
  const rw_semaphore& rl = pciehp_controller()->reset_lock;
  h = mix(h, owner_id(rl.writer) << 8 | static_cast<std::uint64_t>(rl.nreaders) << 4 | rl.nwaiting_writers);
  h = mix(h, owner_id(pci_rescan_remove_lock.owner) << 8 | owner_id(pci_slot_mutex.owner));
  const list_head* head = &pci_cfg_wait.head;
  const list_head* n = head->next;
  for (int k = 0; k < 8 && n != head; ++k) {
    const StackObject* o = stack_object_at(n);
    if (!o || o->died || (reinterpret_cast<std::uintptr_t>(n) >> 47) != 0) {
      h = mix(h, 0xbad);
      break;
    }
    h = mix(h, 16 + o->owner);
    n = n->next;
  }
  return h;
}

static void reset_world(const RunConfig& cfg, int ntasks, int ndevs) {
  World& w = g_world;
  w.oracles = cfg.oracles;
  w.lockless_config = cfg.lockless_config;
  w.step = 0;
  w.trace.clear();
  w.has_report = false;
  w.report = Report{};
  w.stack_objects.clear();
  w.step_hook = cfg.step_hook;
  w.feature_hook = cfg.feature_hook;
  w.skip_known = cfg.skip_known;
  w.known_lockdep = nullptr;
  arena_reset();
  lockdep_reset();
  kcsan_reset();
  pci_reset_globals(ndevs);
  g_ntasks = ntasks;
  static const char* pi_names[MAX_TASKS] = {"T0->pi_lock", "T1->pi_lock", "T2->pi_lock",
                                            "T3->pi_lock", "T4->pi_lock", "T5->pi_lock"};
  for (int i = 0; i < ntasks; ++i) {
    task_struct& t = g_tasks[i];
    t.pid = 101 + i;
    std::snprintf(t.comm, sizeof t.comm, "T%d", i);
    t.__state = TASK_RUNNING;
    t.pi_lock = raw_spinlock_t{};
    t.pi_lock.init(pi_names[i], "&p->pi_lock", false);
    t.m = task_struct::model_state{};
    t.m.id = i;
    t.m.done = false;
    t.m.vc[i] = 1;
  }
}

RunResult run_scenario(const Scenario& sc, Chooser& chooser, const RunConfig& cfg) {
  std::vector<TaskBody> bodies;
  std::vector<const char*> entries;
  const int n = std::min<int>(static_cast<int>(sc.tasks.size()), MAX_TASKS);
  for (int i = 0; i < n; ++i) {
    bodies.push_back([calls = sc.tasks[i]] { return pcirig_task(calls); });
    entries.push_back(sc.tasks[i].empty() ? "idle" : call_entry(sc.tasks[i][0].call));
  }
  RunResult r = run_bodies(bodies, sc.ndevs, chooser, cfg, entries);
  r.scenario = sc;
  return r;
}

RunResult run_bodies(const std::vector<TaskBody>& bodies, int ndevs, Chooser& chooser, const RunConfig& cfg,
                     const std::vector<const char*>& entries) {
  RunResult r;
  const int n = std::min<int>(static_cast<int>(bodies.size()), MAX_TASKS);
  r.scenario.ndevs = ndevs;
  r.scenario.tasks.resize(n);
  g_variant = cfg.variant;
  reset_world(cfg, n, ndevs);

  std::vector<Co<void>> roots;
  roots.reserve(n);
  for (int i = 0; i < n; ++i) {
    current = &g_tasks[i];
    roots.push_back(bodies[i]());
    g_tasks[i].m.leaf = roots.back().raw();
    g_tasks[i].m.stack.push_back(roots.back().name());
    const char* entry = i < static_cast<int>(entries.size()) ? entries[i] : roots.back().name();
    g_tasks[i].m.pending = Point{PointKind::step, "start", nullptr, entry, 0};
  }
  current = nullptr;

  World& w = g_world;
  int cur = -1;
  int cand[MAX_TASKS];
  for (;;) {
    int nc = 0;
    bool all_done = true;
    for (int i = 0; i < n; ++i) {
      all_done = all_done && g_tasks[i].m.done;
      if (enabled(g_tasks[i])) cand[nc++] = i;
    }
    if (nc == 0) {
      if (!all_done) quiescence_report();
      break;
    }
    if (w.step >= cfg.max_steps) {
      r.step_bound_hit = true;
      break;
    }
    int pick = cand[0];
    if (nc > 1) {
      int idx = chooser.choose(std::span<const int>(cand, nc), cur, w.step);
      idx = ((idx % nc) + nc) % nc;
      r.choices.push_back(static_cast<std::uint8_t>(idx));
      pick = cand[idx];
    }
    cur = pick;
    task_struct& t = g_tasks[pick];
    current = &t;
    if (cfg.keep_trace)
      w.trace.push_back(TraceEntry{static_cast<std::uint32_t>(w.step), static_cast<std::uint8_t>(pick),
                                   static_cast<std::uint8_t>(t.m.stack.size()), t.m.pending});
    ++w.step;
    try {
      t.m.leaf.resume();
    } catch (const Halt&) {
      break;
    }
    if (roots[pick].raw().done()) t.m.done = true;
    if (w.step_hook) w.step_hook(abstract_state());
    if (w.feature_hook) feature_wait_for({g_tasks, static_cast<std::size_t>(n)});
  }

  for (int i = 0; i < n; ++i)
    if (!g_tasks[i].m.done)
      r.blocked.push_back(TraceEntry{static_cast<std::uint32_t>(w.step), static_cast<std::uint8_t>(i),
                                     static_cast<std::uint8_t>(g_tasks[i].m.stack.size()), g_tasks[i].m.pending});
  r.has_report = w.has_report;
  r.report = w.report;
  r.known_lockdep = w.known_lockdep;
  r.steps = w.step;
  r.trace = std::move(w.trace);
  w.trace.clear();
  // Tear down while `current` is valid for destructors that look at it.
  current = nullptr;
  roots.clear();
  return r;
}

}  // namespace pcirig::model
