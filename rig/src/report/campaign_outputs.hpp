// A campaign's reports, rewritten after every run and at the end: report.json, junit.xml
// (one testcase per plan cell, a failure per crash title) and report.html (one
// self-contained page: summary, crash table, charts over time, every run).
#pragma once
#include <filesystem>
#include <string>

#include "report/campaign_report.hpp"

namespace pcirig {
std::string report_json(const CampaignReport& r);
std::string report_junit(const CampaignReport& r);
std::string report_html(const CampaignReport& r);
// Each file replaced whole (tmp + rename); returns 0 or the first errno.
int write_campaign_reports(const CampaignReport& r, const std::filesystem::path& dir);
}  // namespace pcirig
