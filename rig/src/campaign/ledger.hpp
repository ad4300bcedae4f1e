// <campaign>/ledger.jsonl: one RunRecord per line, appended and fsync'd as each run ends,
// before anything else hears of it. A campaign killed at any point (kill -9, a reboot)
// keeps every finished run, and --resume skips exactly the runs listed here.
#pragma once
#include <filesystem>
#include <mutex>
#include <vector>

#include "campaign/run_record.hpp"

namespace pcirig {
class Ledger {
 public:
  explicit Ledger(std::filesystem::path path) : path_(std::move(path)) {}
  // Returns 0 or the errno of the failed write (ENOSPC: the disk is full).
  int append(const RunRecord& r);
  // Every complete line; a line torn by a kill mid-write is skipped.
  static std::vector<RunRecord> read(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mu_;
};

// Write a file and fsync it and its directory (campaign.json, state.json).
int write_file_durably(const std::filesystem::path& path, const std::string& text);
}  // namespace pcirig
