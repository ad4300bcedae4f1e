#include "campaign/ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace fs = std::filesystem;
namespace pcirig {
namespace {
int write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += size_t(n);
  }
  return 0;
}

void sync_dir(const fs::path& dir) {
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) ::fsync(d), ::close(d);
}
}  // namespace

int Ledger::append(const RunRecord& r) {
  std::lock_guard lk(mu_);
  std::string line = nlohmann::json(r).dump() + "\n";
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  off_t before = ::lseek(fd, 0, SEEK_END);
  int e = write_all(fd, line);
  if (!e && ::fsync(fd) != 0) e = errno;
  // A short write (disk full) would leave half a line: cut it off so the next is whole.
  if (e && before >= 0) (void)!::ftruncate(fd, before);
  ::close(fd);
  return e;
}

std::vector<RunRecord> Ledger::read(const fs::path& path) {
  std::vector<RunRecord> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    try {
      out.push_back(j.get<RunRecord>());
    } catch (const nlohmann::json::exception&) {
    }
  }
  return out;
}

int write_file_durably(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  int e = write_all(fd, text);
  if (!e && ::fsync(fd) != 0) e = errno;
  ::close(fd);
  if (e) {
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno;
  sync_dir(path.parent_path());
  return 0;
}
}  // namespace pcirig
