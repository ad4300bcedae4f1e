// When a run crashed, from its journal: the time a compare, a repro attempt or a
// campaign counts as the run's exposure, since the run itself may go on past the
// report (the guest takes a while to panic, or the duration ends first).
#pragma once
#include <string>

namespace pcirig {

// The first kernel report's time in a journal, from the storm's start (or, for a
// crash before the storm, from QEMU's start, with phase "boot"). -1 when none.
struct CrashTiming {
  double seconds = -1;
  std::string phase;  // storm | boot
};
CrashTiming crash_timing_from_journal(const std::string& journal_text);

}  // namespace pcirig
