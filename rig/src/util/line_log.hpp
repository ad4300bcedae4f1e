// An append-only file flushed after every write, so a killed run keeps all it logged.
// A write that fails with ENOSPC is remembered: the session turns it into infra/disk_full.
#pragma once
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace pcirig {
class LineLog {
 public:
  LineLog() = default;
  explicit LineLog(const std::filesystem::path& path);
  ~LineLog();
  LineLog(const LineLog&) = delete;
  LineLog& operator=(const LineLog&) = delete;

  void open(const std::filesystem::path& path);
  bool is_open() const { return f_ != nullptr; }
  void write(std::string_view bytes);          // raw bytes, flushed
  void json_line(const nlohmann::json& j);     // one object + '\n'
  void json_line(const nlohmann::ordered_json& j);
  int last_errno() const { return errno_; }    // 0, or the errno of the first failed write
  const std::filesystem::path& path() const { return path_; }

 private:
  std::FILE* f_ = nullptr;
  std::filesystem::path path_;
  int errno_ = 0;
};

// Write a whole file atomically enough for our purpose (tmp + rename); returns errno or 0.
int write_file(const std::filesystem::path& path, std::string_view text);
std::string read_file_text(const std::filesystem::path& path);
}  // namespace pcirig
