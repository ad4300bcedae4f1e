#include "uevent_watch.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace pcirig::agent {

Uevent parse_uevent(std::string_view msg) {
  Uevent u;
  // Fields are NUL-separated; the first, ACTION@DEVPATH, is not KEY=VALUE and is skipped.
  std::size_t pos = msg.find('\0');
  while (pos != std::string_view::npos && pos < msg.size()) {
    pos++;
    std::size_t end = msg.find('\0', pos);
    std::string_view f = msg.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    auto value = [&](std::string_view key, std::string_view& out) {
      if (f.size() > key.size() && f.substr(0, key.size()) == key && f[key.size()] == '=') out = f.substr(key.size() + 1);
    };
    value("ACTION", u.action);
    value("SUBSYSTEM", u.subsystem);
    value("DEVTYPE", u.devtype);
    value("DEVNAME", u.devname);
    value("DEVPATH", u.devpath);
    pos = end;
  }
  return u;
}

bool uevent_is_pci(std::string_view msg) { return parse_uevent(msg).subsystem == "pci"; }

UeventWatch::UeventWatch() {
  fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (fd_ < 0) return;
  sockaddr_nl a{};
  a.nl_family = AF_NETLINK;
  a.nl_groups = 1;  // the kernel's broadcast group (udev's is 2)
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

UeventWatch::~UeventWatch() {
  if (fd_ >= 0) ::close(fd_);
}

UeventWatch::Drained UeventWatch::drain(const std::function<void(const Uevent&)>& each) {
  Drained d;
  char buf[8192];  // a uevent is at most UEVENT_BUFFER_SIZE (2048) plus its header
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        d.lost = true;
        continue;
      }
      return d;  // EAGAIN, or a broken socket the tick stands in for
    }
    if (n == 0) return d;
    Uevent u = parse_uevent(std::string_view(buf, std::size_t(n)));
    if (u.subsystem == "pci") d.pci = true;
    each(u);
  }
}

}  // namespace pcirig::agent
