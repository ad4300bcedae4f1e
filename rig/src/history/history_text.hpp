// `pcirig history`: per crash title, first and last seen, how often, which kernels and
// topologies hit it, and its best reproducer (the run that crashed soonest).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "history/history_db.hpp"

namespace pcirig {
std::string format_history(const std::vector<TitleHistory>& titles);
nlohmann::json history_json(const std::vector<TitleHistory>& titles);  // `pcirig history --json`
}
