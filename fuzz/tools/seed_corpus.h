// The generic seed inputs libFuzzer starts from (pcirig-model seed-corpus, used
// by fuzz/scripts/bench.sh): scenarios only, the schedule left to the fuzzer.
#pragma once
#include <cstdint>
#include <vector>

namespace pcirig::tools {

// 12 access.c scenarios (six on dev0, six on dev0 and dev1) and 12 topology
// scenarios, each 5 tasks of 3 calls, the calls rotating so that every call kind
// (and, for topology calls, every target and task argument selector) appears. Few and rich on purpose: libFuzzer runs every
// seed before it mutates, and shrinks a scenario far more easily than it grows
// one (a new task count re-decodes the whole input), so small two-task seeds cost
// it hundreds of runs before any contention. Byte layout: decode_scenario
// (fuzz/model/scenario.cc).
std::vector<std::vector<std::uint8_t>> generic_seed_inputs();

}  // namespace pcirig::tools
