// The kernel's uevents (NETLINK_KOBJECT_UEVENT): a PCI one makes the agent rescan
// the bus at once instead of at its next 100 ms tick, and a disk's add tells
// settle that its partition scan is over (disk_announcements.hpp). A kernel
// without netlink gives no socket; the tick and settle's calm remain.
#pragma once
#include <cstddef>
#include <functional>
#include <string_view>

namespace pcirig::agent {

// The fields of one message ("ACTION@DEVPATH\0KEY=VALUE\0..."); absent ones are
// empty. The message is the kernel's, but read as untrusted bytes.
struct Uevent {
  std::string_view action, subsystem, devtype, devname, devpath;
};
Uevent parse_uevent(std::string_view msg);

// Whether one message is about the PCI bus: SUBSYSTEM=pci.
bool uevent_is_pci(std::string_view msg);

class UeventWatch {
 public:
  UeventWatch();  // opens and binds the socket; fd() < 0 when that failed
  ~UeventWatch();
  UeventWatch(const UeventWatch&) = delete;
  UeventWatch& operator=(const UeventWatch&) = delete;

  int fd() const { return fd_; }

  struct Drained {
    bool pci = false;   // a message was about PCI
    bool lost = false;  // the queue overflowed (ENOBUFS): messages were dropped
  };
  // Reads every queued message and hands each to `each`.
  Drained drain(const std::function<void(const Uevent&)>& each);

 private:
  int fd_ = -1;
};

}  // namespace pcirig::agent
