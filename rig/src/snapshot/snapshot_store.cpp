#include "snapshot/snapshot_store.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "images/kernel_image.hpp"

namespace fs = std::filesystem;
namespace pcirig {

fs::path default_snapshot_dir() { return cache_dir() / "snapshots"; }

namespace {
std::optional<nlohmann::json> read_meta(const fs::path& f) {
  std::ifstream in(f);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}
}  // namespace

std::optional<SnapshotStore::Entry> SnapshotStore::find(const std::string& key, const std::string& identity) const {
  Entry e;
  e.dir = dir_ / key;
  e.vmstate = e.dir / "vmstate";
  e.ram = e.dir / "ram";
  auto meta = read_meta(e.dir / "meta.json");
  std::error_code ec;
  if (!meta || !fs::is_regular_file(e.vmstate, ec) || fs::file_size(e.vmstate, ec) == 0) return std::nullopt;
  if (!fs::is_regular_file(e.ram, ec) || fs::file_size(e.ram, ec) == 0) return std::nullopt;
  if (meta->value("identity", "") != identity) return std::nullopt;
  e.meta = std::move(*meta);
  fs::last_write_time(e.dir, fs::file_time_type::clock::now(), ec);  // for prune()
  return e;
}

fs::path SnapshotStore::begin(const std::string& key) const {
  fs::create_directories(dir_);
  std::random_device rd;
  fs::path tmp = dir_ / fmt::format(".{}.{}.{:08x}", key, ::getpid(), rd());
  fs::create_directory(tmp);
  return tmp;
}

bool SnapshotStore::commit(const fs::path& tmp, const std::string& key, const nlohmann::json& meta) const {
  {
    std::ofstream out(tmp / "meta.json");
    out << meta.dump(2) << "\n";
    if (!out.flush()) {
      discard(tmp);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, dir_ / key, ec);  // fails when another run's snapshot is already there
  if (ec) discard(tmp);
  return !ec;
}

void SnapshotStore::discard(const fs::path& tmp) const {
  std::error_code ec;
  fs::remove_all(tmp, ec);
}

void SnapshotStore::remove(const std::string& key) const {
  std::error_code ec;
  fs::path gone = dir_ / fmt::format(".{}.removed.{}", key, ::getpid());
  fs::rename(dir_ / key, gone, ec);  // a run restoring it right now keeps its open file
  fs::remove_all(ec ? dir_ / key : gone, ec);
}

int SnapshotStore::prune(size_t keep) const {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> all;
  auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_directory()) continue;
    if (e.path().filename().string()[0] != '.')
      all.emplace_back(e.last_write_time(ec), e.path());
    else if (e.last_write_time(ec) < hour_ago)
      fs::remove_all(e.path(), ec);  // left by a run that was killed while taking one
  }
  if (all.size() <= keep) return 0;
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
  int n = 0;
  for (size_t i = keep; i < all.size(); i++) {
    fs::remove_all(all[i].second, ec);
    n += !ec;
  }
  return n;
}
}  // namespace pcirig
