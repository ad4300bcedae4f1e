#include "util/line_log.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace pcirig {
LineLog::LineLog(const std::filesystem::path& path) { open(path); }
LineLog::~LineLog() {
  if (f_) std::fclose(f_);
}

void LineLog::open(const std::filesystem::path& path) {
  if (f_) std::fclose(f_);
  path_ = path;
  f_ = std::fopen(path.c_str(), "ab");
  if (!f_ && !errno_) errno_ = errno ? errno : EIO;
}

void LineLog::write(std::string_view bytes) {
  if (!f_) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size() || std::fflush(f_) != 0) {
    if (!errno_) errno_ = errno ? errno : EIO;
    std::clearerr(f_);
  }
}

void LineLog::json_line(const nlohmann::json& j) {
  write(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void LineLog::json_line(const nlohmann::ordered_json& j) {
  write(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

int write_file(const std::filesystem::path& path, std::string_view text) {
  auto tmp = path;
  tmp += ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return errno ? errno : EIO;
  int err = 0;
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) err = errno ? errno : EIO;
  if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
  if (err) return err;
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return ec ? ec.value() : 0;
}

std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace pcirig
