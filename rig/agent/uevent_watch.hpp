// The kernel's uevents (NETLINK_KOBJECT_UEVENT), so that the agent rescans the
// bus as soon as a PCI device comes, goes or (un)binds instead of at its next
// 100 ms tick. A kernel without netlink gives no socket; the tick remains.
#pragma once
#include <cstddef>
#include <string_view>

namespace pcirig::agent {

// Whether one uevent message ("ACTION@DEVPATH\0KEY=VALUE\0...") is about the PCI
// bus: SUBSYSTEM=pci. The message is the kernel's, but read as untrusted bytes.
bool uevent_is_pci(std::string_view msg);

class UeventWatch {
 public:
  UeventWatch();  // opens and binds the socket; fd() < 0 when that failed
  ~UeventWatch();
  UeventWatch(const UeventWatch&) = delete;
  UeventWatch& operator=(const UeventWatch&) = delete;

  int fd() const { return fd_; }
  // Reads every queued message; true if one was about PCI, or if messages
  // were lost (ENOBUFS), which could have been.
  bool drain();

 private:
  int fd_ = -1;
};

}  // namespace pcirig::agent
