// `nightly --explain`: the plan's matrix, one line per cell, and what each cell exercises.
#pragma once
#include <string>

#include "campaign/plan.hpp"

namespace pcirig {
std::string explain_plan(const Plan& plan, uint64_t campaign_seed, double hours);
}
