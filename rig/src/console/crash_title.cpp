#include "console/crash_title.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

namespace pcirig {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace((unsigned char)s[a])) a++;
  while (b > a && std::isspace((unsigned char)s[b - 1])) b--;
  return std::string(s.substr(a, b - a));
}

// Kernel lines are under 1 KiB (printk's limit); longer ones are not matched by the
// regexes added for the debug families (libstdc++'s std::regex recurses per character).
constexpr size_t kMaxRegexLine = 1024;

// KFENCE's access stack opens with "Use-after-free read at 0x... (in kfence-#12):".
bool kfence_stack_start(const std::string& t) {
  bool opener = false;
  for (std::string_view p : {"Use-after-free ", "Out-of-bounds ", "Invalid ", "Corrupted memory "})
    opener = opener || starts_with(t, p);
  return opener && contains(t, " at 0x") && !t.empty() && t.back() == ':';
}

// What kind of report a (prefix-stripped) line opens; empty when none.
// Secondary lines (the panic after an oops, "panic_on_warn set") return "".
struct Opening {
  std::string kind;
  std::string title_prefix;   // title before " in FUNC"
  std::string header_func;    // a function named by the line itself (WARNING, KASAN, KFENCE)
  bool prefer_rip = false;    // lockups, stalls, faults: where the CPU was beats the caller
  // Lockdep names the culprit beside the lock ("..., at: func+0x1/0x2") a few lines
  // after this marker; that site comes before the call trace. Empty: trace only.
  std::string site_marker;
  bool no_trace = false;      // printed without a stack trace by design
  bool no_func = false;       // the title names no function (workqueue lockup)
  bool access_in_title = false;  // KASAN: "Read|Write of size" goes into the title
};

Opening open_as(std::string kind, std::string title_prefix, std::string header_func = "", bool prefer_rip = false) {
  Opening o;
  o.kind = std::move(kind);
  o.title_prefix = std::move(title_prefix);
  o.header_func = std::move(header_func);
  o.prefer_rip = prefer_rip;
  return o;
}

std::string header_warning_func(const std::string& l) {
  // 6.1: "WARNING: CPU: 0 PID: 1 at lib/foo.c:12 func+0x1/0x2 [mod]"; newer kernels:
  // "WARNING: lib/foo.c:12 at func+0x1/0x2, CPU#0: comm/1"; old: "WARNING: at f.c:12 func()".
  static const std::regex file_re(R"(([\w./-]+\.[chS]):\d+)");
  std::smatch m;
  if (!std::regex_search(l, m, file_re)) return "";
  std::string rest = l.substr(m.position(0) + m.length(0));
  static const std::regex sym_re(R"(^\s*(?:at\s+)?([A-Za-z_][\w.]*)(?:\+0x[0-9a-f]+/0x[0-9a-f]+|\(\))?)");
  std::smatch s;
  if (std::regex_search(rest, s, sym_re)) {
    std::string f = s[1];
    if (f != "at" && f != "CPU") return frame_symbol(f);
  }
  return "";
}

// Lockdep (kernel/locking/lockdep.c) headers. Kernels have printed them after
// "WARNING: ", "BUG: " or "INFO: " ("[ INFO: ... ]" before 4.9); titles that keep the
// word keep the one printed, as syzkaller does.
std::optional<Opening> lockdep_opening(const std::string& l) {
  struct Shape {
    const char* phrase;
    const char* title;   // after the word, or the whole title when !worded
    bool worded;
    const char* marker;
    bool no_trace;
  };
  static const Shape shapes[] = {
      {"possible circular locking dependency detected", "possible deadlock", false, "is trying to acquire lock", false},
      {"possible recursive locking detected", "possible deadlock", false, "is trying to acquire lock", false},
      {"possible irq lock inversion dependency detected", "possible deadlock", false, "just changed the state of lock", false},
      {"inconsistent lock state", "inconsistent lock state", false, "takes:", false},
      {"lock held when returning to user space", "lock held when returning to user space", true,
       "leaving the kernel with locks still held", true},
      {"bad unlock balance detected", "bad unlock balance", true, "is trying to release lock", false},
      {"held lock freed", "held lock freed", true, "is freeing memory", false},
      {"suspicious RCU usage", "suspicious RCU usage", true, "", false},
  };
  for (const Shape& s : shapes) {
    size_t at = l.find(s.phrase);
    if (at == std::string::npos) continue;
    for (std::string_view w : {"WARNING", "BUG", "INFO"}) {
      size_t n = w.size() + 2;
      if (at < n || l.compare(at - n, w.size(), w) != 0 || l.compare(at - 2, 2, ": ") != 0) continue;
      std::string title = s.worded ? std::string(w) + ": " + s.title : s.title;
      Opening o = open_as("lockdep", title);
      o.site_marker = s.marker;
      o.no_trace = s.no_trace;
      return o;
    }
  }
  // "WARNING: sh/1 still has locks held!" (a task exiting, or freezing, with locks held)
  if (contains(l, "WARNING: ") && contains(l, " still has locks held!")) {
    Opening o = open_as("lockdep", "WARNING: still has locks held");
    o.site_marker = "still has locks held!";
    return o;
  }
  // "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"
  if (contains(l, "-unsafe lock order detected") && (contains(l, "WARNING: ") || contains(l, "INFO: "))) {
    Opening o = open_as("lockdep", "possible deadlock");
    o.site_marker = "is trying to acquire";
    return o;
  }
  return std::nullopt;
}

std::optional<Opening> opening(const std::string& l) {
  auto is_bug = [&](std::string_view what) { return contains(l, std::string("BUG: ") + std::string(what)); };
  if (contains(l, "list_add corruption") || contains(l, "list_del corruption") || contains(l, "list_add double add"))
    return open_as("list_corruption", "BUG: corrupted list", "", false);
  if (starts_with(l, "kernel BUG at ")) {
    if (contains(l, "list_debug.c")) return open_as("list_corruption", "BUG: corrupted list", "", false);
    return open_as("bug", "kernel BUG", "", true);
  }
  if (is_bug("kernel NULL pointer dereference"))
    return open_as("null_deref", "BUG: unable to handle kernel NULL pointer dereference", "", true);
  if (is_bug("unable to handle page fault") || is_bug("unable to handle kernel paging request"))
    return open_as("paging", "BUG: unable to handle kernel paging request", "", true);
  if (is_bug("KASAN: ")) {
    // mm/kasan/report.c: "BUG: KASAN: use-after-free in f+0x1/0x2", then "Read of size 8 at addr".
    // A double or invalid free is one title whatever the kernel calls it.
    static const std::regex re(R"(BUG: KASAN: ([\w-]+(?: or invalid-free)?) in ([A-Za-z_][\w.]*))");
    std::smatch m;
    const std::string head = l.substr(0, kMaxRegexLine);  // std::regex recurses per character
    if (!std::regex_search(head, m, re)) return open_as("kasan", "KASAN: invalid-access", "", false);
    std::string type = m[1];
    if (contains(type, "double-free") || contains(type, "invalid-free"))
      return open_as("kasan", "KASAN: invalid-free", frame_symbol(m[2].str()), false);
    Opening o = open_as("kasan", "KASAN: " + type, frame_symbol(m[2].str()));
    o.access_in_title = true;
    return o;
  }
  if (is_bug("KFENCE: ")) {
    // mm/kfence/report.c: "BUG: KFENCE: use-after-free read in f+0x1/0x2", "invalid free in",
    // "memory corruption in".
    static const std::regex re(R"(BUG: KFENCE: ([a-z -]+?) in ([A-Za-z_][\w.]*))");
    std::smatch m;
    const std::string head = l.substr(0, kMaxRegexLine);
    if (std::regex_search(head, m, re)) return open_as("kfence", "KFENCE: " + m[1].str(), frame_symbol(m[2].str()), false);
    return open_as("kfence", "KFENCE: invalid-access", "", false);
  }
  if (is_bug("soft lockup")) return open_as("soft_lockup", "BUG: soft lockup", "", true);
  if (auto o = lockdep_opening(l)) return o;
  // Sleeping where the kernel must not: might_sleep() (DEBUG_ATOMIC_SLEEP) and the
  // scheduler's own check. Neither comes from lockdep.
  if (is_bug("sleeping function called from invalid context"))
    return open_as("atomic_sleep", "BUG: sleeping function called from invalid context", "", false);
  if (is_bug("scheduling while atomic")) return open_as("atomic_sleep", "BUG: scheduling while atomic", "", false);
  if (is_bug("workqueue lockup")) {
    // kernel/workqueue.c watchdog: "BUG: workqueue lockup - pool cpus=0 ... stuck for 31s!",
    // followed by the busy pools, no stack: one title for all.
    Opening o = open_as("workqueue_lockup", "BUG: workqueue lockup");
    o.no_trace = o.no_func = true;
    return o;
  }
  if (starts_with(l, "BUG: ")) {
    // Other BUG: lines ("BUG: spinlock bad magic on CPU#0, ...", "BUG: Bad page state"):
    // keep the words up to the first detail.
    std::string what = l.substr(5);
    size_t cut = what.find_first_of(",:;");
    if (auto on = what.find(" on CPU"); on != std::string::npos) cut = std::min(cut, on);
    return open_as("bug", "BUG: " + trim(what.substr(0, cut)), "", true);
  }
  if (starts_with(l, "WARNING:"))
    return open_as("warning", "WARNING", header_warning_func(l), false);
  if (starts_with(l, "INFO: task ") && contains(l, "blocked for more than"))
    return open_as("hung_task", "INFO: task hung", "", false);
  if ((contains(l, "INFO: rcu_") || contains(l, "rcu: INFO: rcu_")) && contains(l, "stall"))
    return open_as("rcu_stall", "INFO: rcu detected stall", "", true);
  if (starts_with(l, "general protection fault")) return open_as("gpf", "general protection fault", "", true);
  if (starts_with(l, "divide error:")) return open_as("bug", "divide error", "", true);
  if (starts_with(l, "invalid opcode:")) return open_as("bug", "invalid opcode", "", true);
  if (starts_with(l, "stack segment:")) return open_as("bug", "stack segment fault", "", true);
  if (starts_with(l, "PANIC: double fault")) return open_as("bug", "PANIC: double fault", "", true);
  if (starts_with(l, "UBSAN: ")) {
    // lib/ubsan.c: "UBSAN: array-index-out-of-bounds in lib/foo.c:12:3"; before 5.x
    // "UBSAN: Undefined behaviour in lib/foo.c:12:3". FUNC comes from the trace.
    std::string what = l.substr(7);
    what = trim(what.substr(0, what.find(" in ")));
    if (what == "Undefined behaviour") what = "undefined-behaviour";
    return open_as("ubsan", "UBSAN: " + what, "", false);
  }
  if (starts_with(l, "Unable to handle kernel paging request") || starts_with(l, "Unable to handle kernel NULL pointer"))
    return open_as("paging", "BUG: unable to handle kernel paging request", "", true);
  return std::nullopt;
}

// "Kernel panic - not syncing: X": a report of its own only when nothing opened before it
// and X is not the usual consequence of one.
std::optional<std::string> panic_message(const std::string& l) {
  static const std::string p = "Kernel panic - not syncing: ";
  auto at = l.find(p);
  if (at == std::string::npos) return std::nullopt;
  return trim(l.substr(at + p.size()));
}
bool secondary_panic(const std::string& msg) {
  for (const char* s : {"Fatal exception", "panic_on_warn set", "hung_task: blocked tasks", "softlockup: hung tasks",
                        "Hard LOCKUP", "RCU Stall", "corrupted stack end"})
    if (contains(msg, s)) return true;
  return false;
}

bool report_end(const std::string& l) {
  return starts_with(l, "---[ end trace") || starts_with(l, "---[ end Kernel panic") || starts_with(l, "Kernel Offset:");
}

struct Frame {
  std::string sym;
  bool unreliable = false;
  bool irq = false;   // inside <IRQ>/<NMI>: what interrupted, not what was running
};

}  // namespace

std::string strip_console_prefix(std::string_view line) {
  std::string s(line);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.pop_back();
  // "[   12.345678] " and an optional caller id "[    T1] " / "[  C0] "
  for (int round = 0; round < 2; round++) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') i++;
    if (i < s.size() && s[i] == '[') {
      size_t close = s.find(']', i);
      if (close != std::string::npos && close - i < 20) {
        std::string inner = trim(std::string_view(s).substr(i + 1, close - i - 1));
        bool stamp = !inner.empty() && std::all_of(inner.begin(), inner.end(), [](char c) { return std::isdigit((unsigned char)c) || c == '.'; });
        bool caller = inner.size() >= 2 && (inner[0] == 'T' || inner[0] == 'C') &&
                      std::all_of(inner.begin() + 1, inner.end(), [](char c) { return std::isdigit((unsigned char)c); });
        if (stamp || caller) {
          s = s.substr(close + 1);
          if (!s.empty() && s[0] == ' ') s.erase(0, 1);
          continue;
        }
      }
    }
    break;
  }
  return s;
}

std::string frame_symbol(std::string_view frame) {
  std::string f = trim(frame);
  if (starts_with(f, "? ")) f = trim(f.substr(2));
  size_t end = f.find_first_of("+ ([");
  std::string sym = f.substr(0, end);
  // Compiler-made clones name the same function: foo.cold, foo.isra.0, foo.constprop.0, foo.part.0
  if (auto dot = sym.find('.'); dot != std::string::npos) sym = sym.substr(0, dot);
  return sym;
}

bool is_infrastructure_frame(const std::string& s) {
  static const std::vector<std::string_view> prefixes = {
      "dump_stack", "show_stack", "__dump_stack", "show_trace", "print_", "printk", "vprintk", "_printk",
      "panic", "__warn", "warn_", "report_bug", "handle_bug", "exc_", "asm_exc_", "do_error_trap", "do_trap",
      "__die", "die", "oops_", "page_fault_oops", "kernelmode_fixup_or_oops", "__bad_area", "bad_area",
      "do_user_addr_fault", "handle_page_fault", "fixup_exception", "spin_", "_raw_", "raw_spin", "do_raw_",
      "queued_", "native_queued", "mutex_", "__mutex_", "rwsem_", "__rwsem", "lock_acquire"};
  static const std::vector<std::string_view> more = {
      "lock_release", "__lock_acquire", "list_", "__list_", "check_preemption_disabled", "__might_sleep",
      "__might_resched", "___might_sleep", "might_fault", "kasan_", "__kasan_", "__asan_", "check_memory_region",
      "schedule", "__schedule", "io_schedule", "preempt_schedule", "wait_for_completion", "__wait_for_common",
      "wait_for_common", "do_wait_for_common", "msleep", "usleep_range", "ssleep", "sysvec_", "asm_sysvec_",
      "__sysvec_", "irq_exit", "__irq_exit", "do_softirq", "__do_softirq", "hrtimer_", "__hrtimer", "tick_",
      "update_process_times", "watchdog_timer_fn", "rcu_", "nmi_", "mark_lock", "lockdep_", "__ubsan_", "ubsan_",
      "____kasan_", "slab_free", "__slab_free", "kmem_cache_free"};
  auto hit = [&](std::string_view p) { return starts_with(s, p); };
  if (std::any_of(prefixes.begin(), prefixes.end(), hit) || std::any_of(more.begin(), more.end(), hit)) return true;
  for (const char* exact : {"down", "up", "__down", "down_read", "down_write", "bit_wait", "__wait_on_bit",
                            "out_of_line_wait_on_bit", "arch_trigger_cpumask_backtrace", "trigger_single_cpu_backtrace",
                            "kthread", "ret_from_fork", "ret_from_fork_asm", "worker_thread", "process_one_work",
                            "entry_SYSCALL_64_after_hwframe", "do_syscall_64", "__flush_work", "flush_work",
                            "bug_handler", "lockdep_rcu_suspicious", "__might_fault", "__kasan_check_read",
                            "check_cpu_stall", "watchdog", "check_panic_on_warn", "kfree", "kvfree", "memcpy",
                            "memmove", "memset", "__memcpy", "__memset", "__memmove"})
    if (s == exact) return true;
  return starts_with(s, "__down") || starts_with(s, "down_") || starts_with(s, "__wait_on_bit") ||
         starts_with(s, "folio_wait") || starts_with(s, "wait_on_page_bit");
}

std::string normalise_title(std::string t) {
  static const std::regex sym_off(R"(([A-Za-z_][\w.]*)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)");
  // 0x-prefixed hex, or a bare run of 6+ hex digits with both digits and letters
  // (addresses); a run of plain digits is a number, a run of plain letters a word.
  static const std::regex hex(R"(0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,}\b)");
  static const std::regex dec(R"(\b\d{5,}\b)");
  static const std::regex line(R"((\.[chS]):\d+)");
  static const std::regex cpu(R"(CPU#\d+)");
  t = std::regex_replace(t, sym_off, "$1");
  t = std::regex_replace(t, line, "$1:LINE");
  t = std::regex_replace(t, cpu, "CPU");
  t = std::regex_replace(t, hex, "ADDR");
  t = std::regex_replace(t, dec, "NUM");
  if (t.size() > 120) t.resize(120);
  return trim(t);
}

bool is_report_start(std::string_view raw) {
  std::string l = strip_console_prefix(raw);
  if (opening(l)) return true;
  auto pm = panic_message(l);
  return pm && !secondary_panic(*pm);
}

std::optional<CrashReport> parse_console(std::string_view console) {
  std::vector<std::string> raw, lines;
  size_t pos = 0;
  while (pos < console.size()) {
    size_t nl = console.find('\n', pos);
    if (nl == std::string_view::npos) nl = console.size();
    raw.emplace_back(console.substr(pos, nl - pos));
    if (!raw.back().empty() && raw.back().back() == '\r') raw.back().pop_back();
    lines.push_back(strip_console_prefix(raw.back()));
    pos = nl + 1;
  }

  size_t start = lines.size();
  std::optional<Opening> op;
  std::optional<std::string> lone_panic;
  for (size_t i = 0; i < lines.size(); i++) {
    if ((op = opening(lines[i]))) {
      start = i;
      break;
    }
    if (auto pm = panic_message(lines[i]); pm && !secondary_panic(*pm)) {
      lone_panic = *pm;
      start = i;
      break;
    }
  }
  if (start == lines.size()) return std::nullopt;

  CrashReport r;
  r.first_line = start;
  if (lone_panic) {
    r.kind = "panic";
    r.title = normalise_title("kernel panic: " + *lone_panic);
    for (size_t i = start; i < lines.size() && i < start + 60; i++) r.text += raw[i] + "\n";
    return r;
  }

  // The report runs to its end marker, the next report, or 400 lines.
  size_t end = start + 1;
  bool ended = false, trace_seen = false, through_panic = false;
  for (; end < lines.size() && end < start + 400; end++) {
    if (report_end(lines[end])) {
      ended = true;
      end++;
      break;
    }
    if (auto pm = panic_message(lines[end])) {
      // Under panic_on_warn some reports panic before their own stack (6.1's
      // __schedule_bug): the panic's trace, up to its end marker, stands in.
      if (!trace_seen && !through_panic && secondary_panic(*pm)) {
        through_panic = true;
        continue;
      }
      ended = true;
      end++;
      break;
    }
    // Another report opening ends this one, unless it is this one's own next line: a
    // list corruption message is followed by its "kernel BUG at lib/list_debug.c", a
    // BUG() by its trap ("invalid opcode:"), a few lines on or more with other output
    // in between.
    if (trim(lines[end]) == "Call Trace:") trace_seen = true;
    if (end > start + 3 || trace_seen) {
      auto next = opening(lines[end]);
      bool own = !trace_seen && next &&
                 ((op->kind == "list_corruption" && next->kind == "list_corruption") ||
                  starts_with(lines[end], "invalid opcode:"));
      if (next && !own) break;
    }
  }
  for (size_t i = start; i < end; i++) r.text += raw[i] + "\n";

  // Frames: RIP lines and the call trace, in order of appearance. Lines another CPU
  // printed into the middle of a trace are stepped over (up to two in a row); a blank
  // line ends it. KFENCE prints its stack under "Use-after-free read at 0x...:" instead
  // of "Call Trace:".
  std::vector<Frame> rips, trace;
  static const std::regex rip_re(R"(^RIP: 0010:([A-Za-z_][\w.]*)\+0x)");
  static const std::regex frame_re(R"(^\s*(\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+)");
  static const std::regex regs_re(R"(^(RIP|Code|RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R\d+|FS|CS|CR2|DR\d|ORIG_RAX|EFLAGS)\b)");
  bool in_trace = false, in_irq = false, saw_trace = false;
  int foreign = 0;
  for (size_t i = start; i < end; i++) {
    const std::string& l = lines[i];
    std::smatch m;
    if (std::regex_search(l, m, rip_re)) {
      rips.push_back({frame_symbol(m[1].str()), false, in_irq});
      continue;
    }
    std::string t = trim(l);
    if (t == "Call Trace:" || (op->kind == "kfence" && kfence_stack_start(t))) {
      in_trace = saw_trace = true;
      foreign = 0;
      continue;
    }
    if (!in_trace) continue;
    if (t.empty()) { in_trace = false; continue; }
    if (t == "<IRQ>" || t == "<NMI>") { in_irq = true; continue; }
    if (t == "</IRQ>" || t == "</NMI>") { in_irq = false; continue; }
    if (t == "<TASK>" || t == "</TASK>" || starts_with(t, "<#")) continue;
    if (std::regex_search(l, m, frame_re)) {
      trace.push_back({frame_symbol(m[2].str()), m[1].matched, in_irq});
      foreign = 0;
      continue;
    }
    if (std::regex_search(t, regs_re)) continue;  // register dump of an interrupted context inside the trace
    if (++foreign > 2) in_trace = false;
  }

  // Lockdep's site: the "at: func+0x1/0x2" (or "[<addr>] func+0x1/0x2") within a few
  // lines after the marker, other CPUs' lines in between notwithstanding.
  std::optional<Frame> site;
  if (!op->site_marker.empty()) {
    static const std::regex at_re(
        R"((?:at: (?:\[<[0-9a-f]+>\] )?|^\s*\[<[0-9a-f]+>\] )([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+)");
    for (size_t i = start; i < end && !site; i++) {
      if (!contains(lines[i], op->site_marker)) continue;
      for (size_t j = i; j < end && j < i + 8; j++) {
        std::smatch m;
        if (lines[j].size() <= kMaxRegexLine && std::regex_search(lines[j], m, at_re)) {
          site = Frame{frame_symbol(m[1].str()), false, false};
          break;
        }
      }
    }
  }

  std::vector<Frame> cands;
  if (!op->header_func.empty()) cands.push_back({op->header_func, false, false});
  if (site) cands.push_back(*site);
  if (op->prefer_rip)
    for (auto& f : rips) cands.push_back(f);
  for (auto& f : trace) cands.push_back(f);
  if (!op->prefer_rip)
    for (auto& f : rips) cands.push_back(f);

  bool skip_irq = op->kind == "soft_lockup" || op->kind == "rcu_stall" || op->kind == "hung_task";
  auto pick = [&](bool allow_unreliable) -> std::optional<Frame> {
    for (auto& f : cands) {
      if (f.unreliable && !allow_unreliable) continue;
      if (skip_irq && f.irq) continue;
      if (is_infrastructure_frame(f.sym)) continue;
      return f;
    }
    return std::nullopt;
  };
  auto f = pick(false);
  if (!f) {
    f = pick(true);
    if (f) r.frame_unreliable = true;
  }
  r.kind = op->kind;
  std::string prefix = op->title_prefix;
  if (op->access_in_title) {
    // KASAN: "Read of size 8 at addr ..." follows the header within a few lines.
    static const std::regex access_re(R"(\b(Read|Write) of size \d+)");
    std::smatch m;
    bool found = false;
    for (size_t i = start + 1; i < end && i < start + 8 && !found; i++)
      if (lines[i].size() <= kMaxRegexLine && std::regex_search(lines[i], m, access_re)) {
        prefix += " " + m[1].str();
        found = true;
      }
    if (!found) r.corrupted = true;
  }
  if (op->no_func) {
    r.title = normalise_title(prefix);
    return r;
  }
  if (f) {
    r.function = f->sym;
    r.title = normalise_title(prefix + " in " + f->sym);
  } else {
    r.title = normalise_title(prefix);
    r.corrupted = true;
  }
  // Cut off before the trace or its end: the log stopped mid-report.
  if (!ended && !saw_trace && rips.empty() && !site && !op->no_trace) r.corrupted = true;
  return r;
}
}  // namespace pcirig
