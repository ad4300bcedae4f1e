// The current device listing, published by the agent's main loop (which polls
// sysfs every ~100 ms) and read by the worker threads without blocking it.
#pragma once
#include <memory>
#include <mutex>
#include <vector>

#include "pci_devices.hpp"

namespace pcirig::agent {

class DeviceBoard {
 public:
  using Snapshot = std::shared_ptr<const std::vector<PciDevice>>;

  void publish(std::vector<PciDevice> devices) {
    auto snap = std::make_shared<const std::vector<PciDevice>>(std::move(devices));
    std::lock_guard lock(mu_);
    current_ = std::move(snap);
  }
  Snapshot snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  Snapshot current_ = std::make_shared<const std::vector<PciDevice>>();
};

}  // namespace pcirig::agent
