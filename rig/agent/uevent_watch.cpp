#include "uevent_watch.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pcirig::agent {

bool uevent_is_pci(std::string_view msg) {
  // Fields are NUL-separated; the first is ACTION@DEVPATH.
  constexpr std::string_view key = "SUBSYSTEM=pci";
  for (std::size_t pos = 0; pos < msg.size();) {
    std::size_t end = msg.find('\0', pos);
    if (end == std::string_view::npos) end = msg.size();
    if (msg.substr(pos, end - pos) == key) return true;
    pos = end + 1;
  }
  return false;
}

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

bool UeventWatch::drain() {
  bool pci = false;
  char buf[8192];  // a uevent is at most UEVENT_BUFFER_SIZE (2048) plus its header
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the queue overflowed: some were dropped
        pci = true;
        continue;
      }
      return pci;  // EAGAIN, or a broken socket the tick stands in for
    }
    if (n == 0) return pci;
    if (uevent_is_pci(std::string_view(buf, std::size_t(n)))) pci = true;
  }
}

}  // namespace pcirig::agent
