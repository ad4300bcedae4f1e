// libFuzzer target: a saved run's journal.jsonl -> the plug/unplug sequence
// `pcirig repro RUNDIR` follows (replay_ops_from_journal, hotplug/injector.cpp).
// A run directory can be edited, truncated or come from elsewhere: lines that
// are not journal events are skipped, never thrown on, and every op's time is a
// finite offset the replay loop can sleep until.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "hotplug/injector.hpp"

using namespace pcirig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<ReplayOp> ops;
  try {
    ops = replay_ops_from_journal(text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "journal_replay: threw: %s\n", e.what());
    std::abort();
  }
  for (const auto& op : ops) {
    if (op.action != "plug" && op.action != "unplug") {
      std::fprintf(stderr, "journal_replay: action '%s'\n", op.action.c_str());
      std::abort();
    }
    // Injector::sleep_ms converts (due - now) * 1000 to integer microseconds.
    if (!std::isfinite(op.t) || std::fabs(op.t) > 1e9) {
      std::fprintf(stderr, "journal_replay: op time %g s cannot be replayed\n", op.t);
      std::abort();
    }
  }
  return 0;
}
