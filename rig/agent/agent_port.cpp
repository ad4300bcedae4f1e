#include "agent_port.hpp"

#include <unistd.h>

#include <cerrno>
#include <regex>
#include <system_error>

namespace pcirig::agent {

namespace fs = std::filesystem;

std::optional<std::string> pci_bdf_in_path(const std::string& path) {
  static const std::regex bdf(R"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])");
  std::optional<std::string> last;
  for (std::sregex_iterator it(path.begin(), path.end(), bdf), end; it != end; ++it)
    last = it->str();
  return last;
}

std::optional<PortLocation> find_virtio_port(const SysfsRoot& root, const std::string& name) {
  std::error_code ec;
  for (fs::directory_iterator it(root.virtio_ports(), ec), end; !ec && it != end; it.increment(ec)) {
    auto port_name = read_text_file(it->path() / "name");
    if (!port_name || *port_name != name) continue;
    PortLocation loc;
    loc.dev_node = root.dev() / it->path().filename();
    std::error_code cec;
    fs::path dev = fs::canonical(it->path() / "device", cec);
    if (!cec) loc.pci_bdf = pci_bdf_in_path(dev.string());
    return loc;
  }
  return std::nullopt;
}

void AgentPort::send(const Json& message) {
  std::lock_guard lock(mu_);
  const bool is_stats = message.contains("type") && message["type"] == "stats";
  if (is_stats && out_.size() > kMaxQueued) return;
  out_ += serialise(message);
  flush_locked();
}

void AgentPort::flush() {
  std::lock_guard lock(mu_);
  flush_locked();
}

bool AgentPort::has_pending() const {
  std::lock_guard lock(mu_);
  return !out_.empty();
}

void AgentPort::flush_locked() {
  while (!out_.empty()) {
    ssize_t n = ::write(fd_, out_.data(), out_.size());
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;  // EAGAIN (full) or EPIPE/ENOTCONN-like (host away): keep it queued
  }
}

bool AgentPort::receive(std::deque<std::string>& lines) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;  // host side closed
    break;                     // EAGAIN: drained
  }
  std::size_t start = 0;
  for (std::size_t nl; (nl = in_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = in_.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  in_.erase(0, start);
  return true;
}

}  // namespace pcirig::agent
