// `pcirig nightly merge DIR...`: shards' campaign directories folded into one report
// (and into the history, where the shards of one campaign share its uid).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace pcirig {
// Returns 0 (no crash), 1 (crashes) or throws on directories that are not shards of one campaign.
int merge_campaigns(const std::vector<std::string>& dirs, const std::filesystem::path& out,
                    const std::filesystem::path& history);
}
