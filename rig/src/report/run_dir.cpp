#include "report/run_dir.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmath>

#include <stdexcept>

#include "util/clock.hpp"

namespace fs = std::filesystem;
namespace pcirig {

RunDir::RunDir(const fs::path& runs_dir, uint64_t seed, const std::string& tag) : t0_(mono_seconds()) {
  std::error_code ec;
  fs::create_directories(runs_dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", runs_dir.string(), ec.message()));
  std::string base = fmt::format("{}-{}{}", utc_compact(), seed, tag.empty() ? "" : "-" + tag);
  for (int n = 0;; n++) {
    dir_ = runs_dir / (n == 0 ? base : fmt::format("{}.{}", base, n));
    if (fs::create_directory(dir_, ec)) break;
    if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir_.string(), ec.message()));
  }
  // The reserve first: on a disk too full for it, no run starts and no empty
  // run directory is left to look like one that died.
  reserve_ = dir_ / ".reserve";  // real blocks (not a sparse file), so the space is truly held back
  int fd = ::open(reserve_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::posix_fallocate(fd, 0, kReserveBytes) != 0) {
    if (fd >= 0) ::close(fd);
    fs::remove_all(dir_, ec);
    throw std::runtime_error(fmt::format("cannot reserve {} KiB in {}: the disk is full; no run started",
                                         kReserveBytes >> 10, runs_dir.string()));
  }
  ::close(fd);
  journal_.open(dir_ / "journal.jsonl");
  qmp_.open(dir_ / "qmp.jsonl");
  agent_.open(dir_ / "agent.jsonl");
  console_.open(dir_ / "console.log");
  stats_.open(dir_ / "stats.jsonl");
  load_.open(dir_ / "loadavg.jsonl");
}

void RunDir::release_reserve() {
  std::error_code ec;
  if (!reserve_.empty()) fs::remove(reserve_, ec);
  reserve_.clear();
}

void RunDir::journal(const std::string& ev, nlohmann::json fields) {
  nlohmann::ordered_json j;
  j["t"] = std::round((mono_seconds() - t0_) * 1e6) / 1e6;
  j["ev"] = ev;
  for (auto& [k, v] : fields.items()) j[k] = v;
  journal_.json_line(j);
}

void RunDir::write_text(const std::string& name, const std::string& text) {
  if (int e = write_file(dir_ / name, text); e && !errno_) errno_ = e;
}

void RunDir::write_json(const std::string& name, const nlohmann::json& j) { write_text(name, j.dump(2) + "\n"); }

int RunDir::write_errno() const {
  for (const LineLog* l : {&journal_, &qmp_, &agent_, &console_, &stats_, &load_})
    if (l->last_errno()) return l->last_errno();
  return errno_;
}

fs::path latest_run(const fs::path& runs_dir) {
  fs::path best;
  fs::file_time_type bt{};
  std::error_code ec;
  for (auto& e : fs::directory_iterator(runs_dir, ec)) {
    if (!e.is_directory()) continue;
    auto t = fs::last_write_time(e.path() / "journal.jsonl", ec);
    if (ec) continue;
    if (best.empty() || t > bt) best = e.path(), bt = t;
  }
  return best;
}
}  // namespace pcirig
