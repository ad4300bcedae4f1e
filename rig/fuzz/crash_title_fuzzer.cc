// libFuzzer target: guest console text -> crash title (console/crash_title.cpp).
// The console is whatever a dying kernel printed: any bytes. Besides crashes and
// sanitizer reports, a found report must have a one-line title and a kind, and
// parsing is a function of the text (the same title twice).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "console/crash_title.hpp"

using namespace pcirig;

static void fail(const char* why, const std::string& title) {
  std::fprintf(stderr, "crash_title: %s (title '%s')\n", why, title.c_str());
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view console(reinterpret_cast<const char*>(data), size);
  // The live path: one line at a time, as console_reader counts reports.
  for (size_t pos = 0; pos <= console.size();) {
    size_t nl = console.find('\n', pos);
    std::string_view line = console.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    is_report_start(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  auto r = parse_console(console);
  if (!r) return 0;
  if (r->title.empty()) fail("empty title", r->title);
  if (r->kind.empty()) fail("empty kind", r->title);
  if (r->title.find('\n') != std::string::npos) fail("title spans lines", r->title);
  auto again = parse_console(console);
  if (!again || again->title != r->title) fail("not deterministic", r->title);
  return 0;
}
