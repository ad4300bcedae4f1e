// Kernel console reports -> one stable title, in the shapes of syzkaller's pkg/report
// (docs/rig.md lists them): "BUG: corrupted list in FUNC", "WARNING in FUNC", "possible
// deadlock in FUNC", "INFO: task hung in FUNC", ... FUNC is the first frame that says
// something; addresses and numbers are normalised so the same bug gives the same title
// across runs and kernels.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pcirig {

struct CrashReport {
  std::string title;
  std::string kind;          // bug, warning, list_corruption, null_deref, paging, gpf, lockdep, atomic_sleep,
                             // kasan, kfence, ubsan, workqueue_lockup, rcu_stall, hung_task, soft_lockup, panic
  std::string function;      // empty when none could be found
  bool corrupted = false;    // cut off, or no usable frame
  bool frame_unreliable = false;  // FUNC came from a "? " frame
  std::string text;          // the report's lines, timestamps kept
  size_t first_line = 0;     // 0-based line index in the console text
};

// The first kernel report in a console log (later ones are usually consequences).
std::optional<CrashReport> parse_console(std::string_view console);
// True when the line opens a primary report (used live, to count crashes as they print).
bool is_report_start(std::string_view line);

// Exposed for tests.
std::string strip_console_prefix(std::string_view line);  // "[  1.2] x" -> "x"
std::string normalise_title(std::string title);
std::string frame_symbol(std::string_view frame);         // " ? foo.cold+0x1/0x2 [m]" -> "foo"
bool is_infrastructure_frame(const std::string& sym);
}  // namespace pcirig
