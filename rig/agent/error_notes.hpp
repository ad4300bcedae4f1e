// The first occurrence of each distinct failure goes to the host as a `log`
// line ("vfio set iommu: Operation not permitted"), so a run says why a
// counter of errors grows without flooding the channel.
#pragma once
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "errors.hpp"

namespace pcirig::agent {

class ErrorNotes {
 public:
  explicit ErrorNotes(std::function<void(const std::string&)> sink) : sink_(std::move(sink)) {}

  // `what` names the operation; vanished devices are expected, not noted.
  void note(const std::string& what, int err) {
    if (err == 0 || device_gone(err)) return;
    std::string msg = what + ": " + std::strerror(err);
    {
      std::lock_guard lock(mu_);
      if (seen_.size() >= kMaxDistinct || !seen_.insert(msg).second) return;
    }
    sink_(msg);
  }

 private:
  static constexpr std::size_t kMaxDistinct = 64;
  std::function<void(const std::string&)> sink_;
  std::mutex mu_;
  std::set<std::string> seen_;
};

}  // namespace pcirig::agent
