#include "hang/blocked_dump.hpp"

#include <regex>

#include "console/crash_title.hpp"

namespace pcirig {
namespace {

constexpr size_t kMaxLine = 1024;  // printk's limit; std::regex recurses per character

std::string trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

int64_t to_pid(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  return std::stoll(s);
}

}  // namespace

std::string BlockedTask::stack_key() const {
  std::string k;
  for (auto& f : frames) k += f + "\n";
  return k;
}

const BlockedTask* BlockedDump::task(int64_t pid) const {
  for (auto& t : tasks)
    if (t.pid == pid) return &t;
  return nullptr;
}

const TaskLocks* BlockedDump::locks_of(int64_t pid) const {
  for (auto& t : held)
    if (t.pid == pid) return &t;
  return nullptr;
}

std::string dump_text(std::string_view console, int n) {
  std::string start = "pcirig: hang dump " + std::to_string(n) + " start";
  std::string end = "pcirig: hang dump " + std::to_string(n) + " end";
  size_t a = console.find(start);
  if (a == std::string_view::npos) return "";
  a = console.find('\n', a);
  if (a == std::string_view::npos) return "";
  size_t b = console.find(end, a);
  if (b == std::string_view::npos) return "";
  b = console.rfind('\n', b);
  return std::string(console.substr(a + 1, b > a ? b - a : 0));
}

BlockedDump parse_blocked_dump(std::string_view text) {
  // "task:dl-abba/0       state:D stack:14880 pid:82    ppid:2      flags:0x00004000"
  static const std::regex task_re(R"(^task:(.{1,16}?)\s+state:(\S)\b.*\bpid:\s*(\d{1,9})\b)");
  static const std::regex frame_re(R"(^\s*(\? )?([A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[[\w]+\])?))");
  // "2 locks held by dl-abba/0/82:", "1 lock held by sh/1:", "no locks held by x/3."
  static const std::regex held_re(R"(^(\d{1,3}|no) locks? held by (.{1,16})/(\d{1,9})[:.]\s*$)");
  // " #0: ffffffffc0002708 (&dev->mutex){....}-{3:3}, at: crashtest_abba_a_then_b+0x6a/0x70 [m]"
  static const std::regex lock_re(R"(^\s*#(\d{1,3}):\s+([0-9a-f]{1,16})\s+\((.{1,200}?)\)\{[^}]{0,16}\}(?:-\{[\d:]{1,8}\})?, at: ([A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+))");
  BlockedDump d;
  BlockedTask* cur = nullptr;
  TaskLocks* cur_locks = nullptr;
  bool in_trace = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (raw.size() > kMaxLine) continue;
    std::string l = strip_console_prefix(raw);
    std::string t = trim(l);
    std::smatch m;
    if (t == "Showing all locks held in the system:") {
      d.locks_shown = true;
      cur = nullptr, in_trace = false;
      continue;
    }
    if (t == "INFO: lockdep is turned off.") {
      d.lockdep_off = true;
      continue;
    }
    if (std::regex_search(t, m, task_re)) {
      cur_locks = nullptr, in_trace = false;
      if (d.tasks.size() >= kMaxDumpTasks) {
        d.skipped++, cur = nullptr;
        continue;
      }
      d.tasks.push_back({trim(m[1].str()), to_pid(m[3].str()), m[2].str()[0], {}});
      cur = &d.tasks.back();
      continue;
    }
    if (std::regex_search(t, m, held_re)) {
      cur = nullptr, in_trace = false;
      if (d.held.size() >= kMaxDumpTasks) {
        d.skipped++, cur_locks = nullptr;
        continue;
      }
      d.held.push_back({m[2].str(), to_pid(m[3].str()), {}});
      cur_locks = &d.held.back();
      continue;
    }
    if (cur_locks && std::regex_search(t, m, lock_re)) {
      if (cur_locks->locks.size() >= kMaxTaskLocks) {
        d.skipped++;
        continue;
      }
      cur_locks->locks.push_back({m[2].str(), m[3].str(), m[4].str()});
      continue;
    }
    if (!cur) continue;
    if (t == "Call Trace:") {
      in_trace = true;
      continue;
    }
    if (!in_trace || t == "<TASK>") continue;
    if (t == "</TASK>" || t.empty()) {
      cur = nullptr, in_trace = false;
      continue;
    }
    if (std::regex_search(t, m, frame_re)) {
      if (m[1].matched) continue;  // "? " frames are stale stack words, not the path
      if (cur->frames.size() >= kMaxTaskFrames) {
        d.skipped++;
        continue;
      }
      cur->frames.push_back(m[2].str());
    }
  }
  return d;
}
}  // namespace pcirig
