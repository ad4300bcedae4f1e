// The lines a finished run prints: where it is, how it ended, its hot-plug and
// guest figures, and the crash or infrastructure fault if any.
#pragma once
#include "session/session.hpp"

namespace pcirig {
void print_run_summary(const SessionOutcome& o);
}
