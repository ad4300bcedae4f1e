// `pcirig history`: per crash title, first and last seen, how often, which kernels and
// topologies hit it, and its best reproducer (the run that crashed soonest).
#pragma once
#include <string>
#include <vector>

#include "history/history_db.hpp"

namespace pcirig {
std::string format_history(const std::vector<TitleHistory>& titles);
}
