// libFuzzer's speed against the random scheduler's, from turns run side by side by
// fuzz/scripts/bench.sh (the target: libFuzzer within 2x of random per run).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace pcirig::tools {

// Reads the turns (TSV: variant seconds libfuzzer_execs_per_s libfuzzer_steps_per_run
// random_runs_per_s random_steps_per_run) into the bench JSON's "speed" object; on a
// malformed file, returns null and says why in `error` (file:line).
nlohmann::json speed_from_turns(const std::string& tsv, std::string& error);

// One line per turn and the medians, for the bench's table.
void print_speed(const nlohmann::json& speed);

}  // namespace pcirig::tools
