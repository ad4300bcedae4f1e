// Runs a dead orchestrator left behind. kill -9, a crash or a reboot of the campaign's
// process leaves the runs it had under way with result.json still "running" and no
// ledger line. --resume runs their cells again with the same seeds; this marks the
// old directories so that each says what happened to it.
#pragma once
#include <filesystem>
#include <set>
#include <string>

namespace pcirig {

// Every <runs_dir>/*/result.json whose result is "running" and whose directory (by
// name) is not in `finished` becomes result "cut", end_cause "orchestrator_gone", with
// when it was found. Returns how many. Unreadable files are left as they are.
int mark_cut_runs(const std::filesystem::path& runs_dir, const std::set<std::string>& finished);

}  // namespace pcirig
