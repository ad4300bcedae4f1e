// The shrinking moves `--minimize` tries on a reproducer (minimize.cpp decides which to
// keep). Each returns a smaller copy; none touches the input.
#pragma once
#include <string>
#include <vector>

#include "repro/attempts.hpp"

namespace pcirig {

// The replay's ops grouped per slot into plug..unplug cycles (indices into ops), in
// the order the cycles start. An unplug with no plug before it is a cycle of its own.
std::vector<std::vector<size_t>> hotplug_cycles(const std::vector<ReplayOp>& ops);
// Without cycles [from, to) of hotplug_cycles(r.replay).
Reproducer without_cycles(const Reproducer& r, size_t from, size_t to);
// Without the slot: its events, its hotplug.slots entry, and its port when nothing
// cold sits on it. The storm is off once no slot is left.
Reproducer without_slot(const Reproducer& r, const std::string& slot);
// Only the events of the first `seconds` of the storm.
Reproducer shorter_run(const Reproducer& r, double seconds);
}  // namespace pcirig
