// `nightly --hours`: how long a campaign repeats its plan's rounds, and which run may
// still start.
#pragma once
#include <string>

namespace pcirig {

// A bare number is hours (a night: `--hours 8`); otherwise a duration (90m, 30s, 1h).
// Returns hours > 0; throws std::runtime_error naming the value otherwise.
double parse_hours(const std::string& text);

// Whether run `index` (0-based over the campaign) may start after `spent_s` of run time.
// Without a budget (budget_s <= 0) a campaign is one round; with one, rounds repeat and
// no run starts once the budget is spent (runs under way finish).
bool run_may_start(int index, int round_runs, double budget_s, double spent_s);
}  // namespace pcirig
