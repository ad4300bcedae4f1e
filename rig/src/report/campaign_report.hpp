// What a campaign's reports are made of, and the crash table every report shares:
// finished runs grouped by crash title.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "campaign/run_record.hpp"

namespace pcirig {

struct CampaignReport {
  std::string uid, plan, host, started, updated;
  std::string status = "running";  // running | finished | interrupted | deadline | disk_full | error
  std::string reason;              // why it stopped, in words
  uint64_t seed = 0;
  std::string shard;               // "" or "I/N" (a merge lists its shards)
  std::vector<std::string> cells;  // every plan cell, in plan order
  std::vector<RunRecord> runs;     // finished runs, in the order they ended
  int running = 0, queued = 0;
};

struct TitleGroup {
  std::string title;
  bool is_new = false;
  std::string known;                   // a known kernel report's id (corpora/known-reports.yaml)
  std::vector<const RunRecord*> runs;  // first one first
  std::vector<std::string> cells;      // distinct
};
std::vector<TitleGroup> group_by_title(const CampaignReport& r);
}  // namespace pcirig
