// The crash history: one SQLite file shared by every campaign (and every shard) that
// names it. WAL and a busy timeout let two campaigns write it at once; each run goes in
// one transaction, and recording a run twice (a resume, a merge) changes nothing.
#pragma once
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "campaign/run_record.hpp"

struct sqlite3;

namespace pcirig {

struct CampaignInfo {
  std::string uid, started, plan, plan_hash, host, dir, shard;
  uint64_t seed = 0;
};

struct TitleHistory {
  std::string title, first_seen, last_seen, first_campaign, best_repro;
  long long count = 0;
  double best_seconds = 0;
  std::string kernels, topologies;  // comma-separated, distinct
};

class HistoryDb {
 public:
  explicit HistoryDb(const std::filesystem::path& file);  // created with its schema when missing
  ~HistoryDb();
  HistoryDb(const HistoryDb&) = delete;
  HistoryDb& operator=(const HistoryDb&) = delete;

  void begin_campaign(const CampaignInfo& c);
  void end_campaign(const std::string& uid, const std::string& ended, const std::string& reason);
  // Records the run and its crash; returns whether its title is new, i.e. first seen in
  // this campaign. `abs_run_dir` is where the run directory is (the best reproducer).
  bool record_run(const std::string& campaign_uid, const RunRecord& r, const std::string& abs_run_dir);
  std::vector<TitleHistory> titles();
  long long count(const std::string& table);

 private:
  void set_up_retrying_busy();
  void exec(const std::string& sql);
  void add_repro_columns();
  sqlite3* db_ = nullptr;
  std::string file_;
  // One connection shared by a campaign's parallel runs: SQLite's own mutex serialises
  // calls, not transactions, so a second BEGIN from another thread would fail.
  std::mutex mu_;
};

std::filesystem::path default_history_path();  // <repo>/runs/history.sqlite
}  // namespace pcirig
