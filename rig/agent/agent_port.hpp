// Finding and speaking over the virtio-serial port `pcirig.0`. Busybox has no
// udev, so there is no /dev/virtio-ports/NAME link: the port's name is read
// from /sys/class/virtio-ports/vportNpM/name and the node is /dev/vportNpM.
#pragma once
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "protocol.hpp"
#include "sysfs_root.hpp"

namespace pcirig::agent {

struct PortLocation {
  std::filesystem::path dev_node;       // /dev/vport1p1
  std::optional<std::string> pci_bdf;   // the virtio-serial controller's PCI function
};

// The port called `name`, or nullopt if no such port (yet).
std::optional<PortLocation> find_virtio_port(const SysfsRoot& root, const std::string& name);

// The last PCI function ("DDDD:BB:DD.F") in a sysfs device path, if any.
std::optional<std::string> pci_bdf_in_path(const std::string& path);

// A line-oriented, thread-safe channel over the port's fd. Messages queue
// while the host side is not connected (the port reports POLLHUP) and go out
// in order once it is, so `ready` is never lost to a late host.
class AgentPort {
 public:
  explicit AgentPort(int fd) : fd_(fd) {}
  AgentPort(const AgentPort&) = delete;
  AgentPort& operator=(const AgentPort&) = delete;

  void send(const Json& message);
  // Write what is queued, as far as the port takes it without blocking.
  void flush();
  bool has_pending() const;

  // Read what arrived; complete lines are appended to `lines`. Returns false
  // when the host side is not connected.
  bool receive(std::deque<std::string>& lines);

  int fd() const { return fd_; }

 private:
  void flush_locked();

  int fd_;
  mutable std::mutex mu_;
  std::string out_;
  std::string in_;
  // Stats are dropped rather than piling up without bound while nobody listens.
  static constexpr std::size_t kMaxQueued = 4 << 20;
};

}  // namespace pcirig::agent
