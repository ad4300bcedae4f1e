#include "snapshot/snapshot_ram.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/private_dir.hpp"

namespace fs = std::filesystem;
namespace pcirig {

namespace {
constexpr const char* kPrefix = "pcirig-ram-";

fs::path ram_parent(const fs::path& fallback) {
  std::error_code ec;
  return fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK | X_OK) == 0 ? fs::path("/dev/shm") : fallback;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void fail(const char* what, const fs::path& f) {
  throw std::runtime_error(fmt::format("{} {}: {}", what, f.string(), std::strerror(errno)));
}
}  // namespace

fs::path make_ram_dir(const fs::path& fallback) {
  sweep_stale_ram_dirs(fallback);
  return make_private_dir(ram_parent(fallback), fmt::format("{}{}-", kPrefix, ::getpid()));
}

int sweep_stale_ram_dirs(const fs::path& fallback) {
  int gone = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ram_parent(fallback), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    long pid = std::strtol(name.c_str() + std::strlen(kPrefix), nullptr, 10);
    if (pid <= 0 || (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)) {
      std::error_code rm;
      fs::remove_all(e.path(), rm);
      gone += !rm;
    }
  }
  return gone;
}

uint64_t copy_ram_image(const fs::path& from, const fs::path& to) {
  Fd in, out;
  if ((in.fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC)) < 0) fail("cannot open", from);
  off_t size = ::lseek(in.fd, 0, SEEK_END);
  if (size < 0) fail("cannot size", from);
  if ((out.fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) fail("cannot create", to);
  if (::ftruncate(out.fd, size) != 0) fail("cannot size", to);
  constexpr size_t kPage = 4096, kChunk = 1 << 20;
  std::vector<char> buf(kChunk);
  const std::vector<char> zero(kPage, 0);
  uint64_t written = 0;
  for (off_t off = 0; off < size;) {
    // Only the data extents: an untouched guest page is a hole in the tmpfs file.
    off_t data = ::lseek(in.fd, off, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;
      fail("cannot seek", from);
    }
    off_t hole = ::lseek(in.fd, data, SEEK_HOLE);
    if (hole < 0) fail("cannot seek", from);
    for (off_t at = data; at < hole;) {
      size_t want = size_t(std::min<off_t>(hole - at, off_t(kChunk)));
      ssize_t n = ::pread(in.fd, buf.data(), want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot read", from);
      for (size_t p = 0; p < size_t(n); p += kPage) {
        size_t len = std::min(kPage, size_t(n) - p);
        if (std::memcmp(buf.data() + p, zero.data(), len) == 0) continue;
        for (size_t done = 0; done < len;) {
          ssize_t w = ::pwrite(out.fd, buf.data() + p + done, len - done, at + off_t(p + done));
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) fail("cannot write", to);
          done += size_t(w);
        }
        written += len;
      }
      at += n;
    }
    off = hole;
  }
  if (::fsync(out.fd) != 0) fail("cannot sync", to);
  return written;
}
}  // namespace pcirig
