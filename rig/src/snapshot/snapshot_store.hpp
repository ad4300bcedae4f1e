// Snapshots on disk: $PCIRIG_CACHE/snapshots/<key>/ holds `ram` (the guest's RAM, a
// sparse file the size of its memory), `vmstate` (QEMU's migration stream of everything
// else) and `meta.json` (the identity text, the agent's ready message, size, timing).
// A snapshot is written in a temporary directory and renamed into place, so a reader
// sees a whole snapshot or none; runs of one tuple at once may each take one, and the
// first rename wins.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace pcirig {

std::filesystem::path default_snapshot_dir();  // $PCIRIG_CACHE/snapshots

class SnapshotStore {
 public:
  explicit SnapshotStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  struct Entry {
    std::filesystem::path dir, vmstate, ram;
    nlohmann::json meta;
  };
  // The snapshot for key, when its stored identity is exactly `identity`; marks it used.
  std::optional<Entry> find(const std::string& key, const std::string& identity) const;
  // A fresh directory to write `vmstate` and `ram` into, then commit() or discard().
  std::filesystem::path begin(const std::string& key) const;
  bool commit(const std::filesystem::path& tmp, const std::string& key, const nlohmann::json& meta) const;
  void discard(const std::filesystem::path& tmp) const;
  // A snapshot that failed to restore goes, so the next run takes a new one.
  void remove(const std::string& key) const;
  // Keeps the `keep` most recently used snapshots (each is 50-100 MiB); returns how many went.
  int prune(size_t keep) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};
}  // namespace pcirig
