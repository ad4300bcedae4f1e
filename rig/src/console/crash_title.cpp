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

// What kind of report a (prefix-stripped) line opens; empty when none.
// Secondary lines (the panic after an oops, "panic_on_warn set") return "".
struct Opening {
  std::string kind;
  std::string title_prefix;   // title before " in FUNC"
  std::string header_func;    // a function named by the line itself (WARNING, KASAN)
  bool prefer_rip = false;    // lockups, stalls, faults: where the CPU was beats the caller
};

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

std::optional<Opening> opening(const std::string& l) {
  auto is_bug = [&](std::string_view what) { return contains(l, std::string("BUG: ") + std::string(what)); };
  if (contains(l, "list_add corruption") || contains(l, "list_del corruption") || contains(l, "list_add double add"))
    return Opening{"list_corruption", "BUG: corrupted list", "", false};
  if (starts_with(l, "kernel BUG at ")) {
    if (contains(l, "list_debug.c")) return Opening{"list_corruption", "BUG: corrupted list", "", false};
    return Opening{"bug", "kernel BUG", "", true};
  }
  if (is_bug("kernel NULL pointer dereference"))
    return Opening{"null_deref", "BUG: unable to handle kernel NULL pointer dereference", "", true};
  if (is_bug("unable to handle page fault") || is_bug("unable to handle kernel paging request"))
    return Opening{"paging", "BUG: unable to handle kernel paging request", "", true};
  if (starts_with(l, "BUG: KASAN: ")) {
    static const std::regex re(R"(BUG: KASAN: ([\w-]+) in ([\w.]+))");
    std::smatch m;
    if (std::regex_search(l, m, re)) return Opening{"kasan", "KASAN: " + m[1].str(), frame_symbol(m[2].str()), false};
    return Opening{"kasan", "KASAN: invalid-access", "", false};
  }
  if (is_bug("soft lockup")) return Opening{"soft_lockup", "BUG: soft lockup", "", true};
  if (is_bug("sleeping function called from invalid context"))
    return Opening{"lockdep", "BUG: sleeping function called from invalid context", "", false};
  if (is_bug("scheduling while atomic")) return Opening{"lockdep", "BUG: scheduling while atomic", "", false};
  if (contains(l, "bad unlock balance detected")) return Opening{"lockdep", "BUG: bad unlock balance", "", false};
  if (contains(l, "possible circular locking dependency detected") || contains(l, "possible recursive locking detected"))
    return Opening{"lockdep", "possible deadlock", "", false};
  if (contains(l, "inconsistent lock state")) return Opening{"lockdep", "inconsistent lock state", "", false};
  if (contains(l, "suspicious RCU usage")) return Opening{"lockdep", "WARNING: suspicious RCU usage", "", false};
  if (starts_with(l, "BUG: ")) {
    // Other BUG: lines ("BUG: spinlock bad magic on CPU#0, ...", "BUG: Bad page state"):
    // keep the words up to the first detail.
    std::string what = l.substr(5);
    size_t cut = what.find_first_of(",:;");
    if (auto on = what.find(" on CPU"); on != std::string::npos) cut = std::min(cut, on);
    return Opening{"bug", "BUG: " + trim(what.substr(0, cut)), "", true};
  }
  if (starts_with(l, "WARNING:"))
    return Opening{"warning", "WARNING", header_warning_func(l), false};
  if (starts_with(l, "INFO: task ") && contains(l, "blocked for more than"))
    return Opening{"hung_task", "INFO: task hung", "", false};
  if ((contains(l, "INFO: rcu_") || contains(l, "rcu: INFO: rcu_")) && contains(l, "stall"))
    return Opening{"rcu_stall", "INFO: rcu detected stall", "", true};
  if (starts_with(l, "general protection fault")) return Opening{"gpf", "general protection fault", "", true};
  if (starts_with(l, "divide error:")) return Opening{"bug", "divide error", "", true};
  if (starts_with(l, "invalid opcode:")) return Opening{"bug", "invalid opcode", "", true};
  if (starts_with(l, "stack segment:")) return Opening{"bug", "stack segment fault", "", true};
  if (starts_with(l, "PANIC: double fault")) return Opening{"bug", "PANIC: double fault", "", true};
  if (starts_with(l, "UBSAN: ")) {
    std::string what = l.substr(7);
    size_t in = what.find(" in ");
    return Opening{"ubsan", "UBSAN: " + trim(what.substr(0, in)), "", false};
  }
  if (starts_with(l, "Unable to handle kernel paging request") || starts_with(l, "Unable to handle kernel NULL pointer"))
    return Opening{"paging", "BUG: unable to handle kernel paging request", "", true};
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
      "update_process_times", "watchdog_timer_fn", "rcu_", "nmi_"};
  auto hit = [&](std::string_view p) { return starts_with(s, p); };
  if (std::any_of(prefixes.begin(), prefixes.end(), hit) || std::any_of(more.begin(), more.end(), hit)) return true;
  for (const char* exact : {"down", "up", "__down", "down_read", "down_write", "bit_wait", "__wait_on_bit",
                            "out_of_line_wait_on_bit", "arch_trigger_cpumask_backtrace", "trigger_single_cpu_backtrace",
                            "kthread", "ret_from_fork", "ret_from_fork_asm", "worker_thread", "process_one_work",
                            "entry_SYSCALL_64_after_hwframe", "do_syscall_64", "__flush_work", "flush_work",
                            "bug_handler", "lockdep_rcu_suspicious", "__might_fault", "__kasan_check_read",
                            "check_cpu_stall", "watchdog"})
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
  bool ended = false;
  for (; end < lines.size() && end < start + 400; end++) {
    if (report_end(lines[end])) {
      ended = true;
      end++;
      break;
    }
    if (auto pm = panic_message(lines[end])) {
      ended = true;
      end++;
      break;
    }
    // A list corruption message is followed by its own "kernel BUG at lib/list_debug.c".
    if (end > start + 3 && opening(lines[end])) break;
  }
  for (size_t i = start; i < end; i++) r.text += raw[i] + "\n";

  // Frames: RIP lines and the call trace, in order of appearance.
  std::vector<Frame> rips, trace;
  static const std::regex rip_re(R"(^RIP: 0010:([A-Za-z_][\w.]*)\+0x)");
  static const std::regex frame_re(R"(^\s*(\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+)");
  bool in_trace = false, in_irq = false, saw_trace = false;
  for (size_t i = start; i < end; i++) {
    const std::string& l = lines[i];
    std::smatch m;
    if (std::regex_search(l, m, rip_re)) {
      rips.push_back({frame_symbol(m[1].str()), false, in_irq});
      continue;
    }
    std::string t = trim(l);
    if (t == "Call Trace:") {
      in_trace = saw_trace = true;
      continue;
    }
    if (!in_trace) continue;
    if (t == "<IRQ>" || t == "<NMI>") { in_irq = true; continue; }
    if (t == "</IRQ>" || t == "</NMI>") { in_irq = false; continue; }
    if (t == "<TASK>" || t == "</TASK>" || starts_with(t, "<#")) continue;
    if (std::regex_search(l, m, frame_re)) {
      trace.push_back({frame_symbol(m[2].str()), m[1].matched, in_irq});
      continue;
    }
    static const std::regex regs_re(R"(^(RIP|Code|RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R\d+|FS|CS|CR2|DR\d|ORIG_RAX|EFLAGS)\b)");
    if (std::regex_search(t, regs_re)) {
      continue;  // register dump of an interrupted context inside the trace
    }
    in_trace = false;
  }

  std::vector<Frame> cands;
  if (!op->header_func.empty()) cands.push_back({op->header_func, false, false});
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
  if (f) {
    r.function = f->sym;
    r.title = normalise_title(op->title_prefix + " in " + f->sym);
  } else {
    r.title = normalise_title(op->title_prefix);
    r.corrupted = true;
  }
  // Cut off before the trace or its end: the log stopped mid-report.
  if (!ended && !saw_trace && rips.empty()) r.corrupted = true;
  return r;
}
}  // namespace pcirig
