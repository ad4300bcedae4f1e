// Known kernel reports (corpora/known-reports.yaml): kernel bugs already triaged, so a
// campaign does not flag them as new every night and the bench counts only the
// unexplained ones. Like syzkaller's bug statuses, an entry names a title, what the
// report body must show, and the kernel releases it was established on.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace pcirig {

struct KnownReport {
  std::string id;                           // slug
  std::string title;                        // ECMAScript regex, matched against the whole title
  std::vector<std::string> body;            // regexes that must all be found in the report body
  std::vector<std::string> releases;        // globs (fnmatch) on the guest kernel release
  std::string why, evidence;
  std::regex title_re;
  std::vector<std::regex> body_re;
};

struct KnownReports {
  std::vector<KnownReport> entries;
  // The first entry whose title, every body regex and one release glob match; none when
  // the release is unknown ("").
  std::optional<KnownReport> match(const std::string& title, const std::string& body, const std::string& release) const;
  // A run's result.json: its crash (title, report) on its kernel (release); the entry id or "".
  std::string id_for_result(const nlohmann::json& result) const;
};

// Throws ConfigError (file:line:column and the key) on a bad regex, an unknown or missing
// key, a duplicate id.
KnownReports load_known_reports_text(const std::string& text, const std::string& file);
// A missing file is an empty list.
KnownReports load_known_reports_file(const std::filesystem::path& file);
// <repo>/corpora/known-reports.yaml
std::filesystem::path known_reports_path();
}  // namespace pcirig
