// libFuzzer target: console text -> blocked-task dumps (sysrq w, sysrq d) -> wait-for
// graph -> hang verdict (hang/). The dumps are what a hung kernel printed: any bytes.
// The input is cut in two at its first form feed (or its middle): the first part is the
// earlier dump, the whole the later one. Besides crashes and sanitizer reports it fails
// when a cap is exceeded, a title or cycle spans lines or is empty, a cycle names a task
// that is not stuck, or judging twice differs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "hang/blocked_dump.hpp"
#include "hang/hang_verdict.hpp"

using namespace pcirig;

static void fail(const char* why) {
  std::fprintf(stderr, "blocked_dump: %s\n", why);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t cut = text.find('\f');
  if (cut == std::string_view::npos) cut = text.size() / 2;
  BlockedDump a = parse_blocked_dump(text.substr(0, cut)), b = parse_blocked_dump(text);
  for (const BlockedDump* d : {&a, &b}) {
    if (d->tasks.size() > kMaxDumpTasks || d->held.size() > kMaxDumpTasks) fail("too many tasks kept");
    for (auto& t : d->tasks)
      if (t.frames.size() > kMaxTaskFrames) fail("too many frames kept");
    for (auto& h : d->held)
      if (h.locks.size() > kMaxTaskLocks) fail("too many locks kept");
  }
  (void)dump_text(text, 1);
  auto f = judge_hang(a, b);
  if (!f) return 0;
  if (f->title.empty() || f->title.find('\n') != std::string::npos) fail("title empty or spans lines");
  if (f->waits.cycle_text.find('\n') != std::string::npos) fail("cycle spans lines");
  if (f->deadlock() && f->waits.cycle_text.empty()) fail("a cycle without its text");
  for (int64_t p : f->waits.cycle)
    if (!f->stuck.count(p)) fail("a cycle through a task that is not stuck");
  auto again = judge_hang(a, b);
  if (!again || again->title != f->title || again->waits.cycle_text != f->waits.cycle_text ||
      again->report != f->report)
    fail("not deterministic");
  return 0;
}
