// runs/<id>/: everything one run leaves behind, written as it happens (each log line is
// flushed) so a killed rig still leaves a readable run. Layout in docs/rig.md.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "util/line_log.hpp"

namespace pcirig {

class RunDir {
 public:
  // Creates <runs_dir>/<id>/ (id = UTC time + seed, made unique).
  RunDir(const std::filesystem::path& runs_dir, uint64_t seed, const std::string& tag = "");
  ~RunDir() { release_reserve(); }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const std::filesystem::path& path() const { return dir_; }
  std::string id() const { return dir_.filename().string(); }
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }

  // The event journal: {"t": seconds since the run started (monotonic), "ev": ..., ...}.
  void journal(const std::string& ev, nlohmann::json fields = nlohmann::json::object());
  double t0() const { return t0_; }

  LineLog& journal_log() { return journal_; }
  LineLog& qmp_log() { return qmp_; }
  LineLog& agent_log() { return agent_; }
  LineLog& console_log() { return console_; }
  LineLog& stats_log() { return stats_; }
  LineLog& load_log() { return load_; }

  void write_text(const std::string& name, const std::string& text);
  void write_json(const std::string& name, const nlohmann::json& j);
  // First errno from any write in this run (ENOSPC -> infra disk_full).
  int write_errno() const;
  // The run holds kReserveBytes of disk from its start; releasing them just
  // before the final result.json means a full disk still gets a verdict.
  void release_reserve();
  static constexpr long kReserveBytes = 1 << 20;

 private:
  std::filesystem::path dir_;
  double t0_;
  LineLog journal_, qmp_, agent_, console_, stats_, load_;
  int errno_ = 0;
  std::filesystem::path reserve_;
};

// The newest run directory under runs_dir (for tests and `pcirig repro last`).
std::filesystem::path latest_run(const std::filesystem::path& runs_dir);
}  // namespace pcirig
