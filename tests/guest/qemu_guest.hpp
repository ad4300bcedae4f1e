// A real guest for the tests that boot one: QEMU started directly (not through
// the orchestrator) with the image from $PCIRIG_CACHE/images/NAME/image.json,
// the agent's virtio-serial port on a unix socket and the console in a file.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pcirig::test {

struct GuestOptions {
  std::string image = "debian";
  int cpus = 2;
  int memory_mb = 1024;
  std::vector<std::string> extra_args;  // more -device ... for the topology
  std::string extra_append;             // more kernel parameters
};

class QemuGuest {
 public:
  explicit QemuGuest(const GuestOptions& opt);  // throws std::runtime_error with the reason
  ~QemuGuest();
  QemuGuest(const QemuGuest&) = delete;
  QemuGuest& operator=(const QemuGuest&) = delete;

  // The next JSON line from the agent, or nullopt at the deadline / on EOF.
  std::optional<nlohmann::json> next_message(std::chrono::milliseconds timeout);
  // The first message of `type` (others are skipped), or nullopt.
  std::optional<nlohmann::json> wait_for(const std::string& type, std::chrono::milliseconds timeout);
  void send(const nlohmann::json& command);

  std::string console() const;  // what the guest printed so far
  std::string console_tail(std::size_t bytes = 3000) const;
  bool qemu_alive();
  const nlohmann::json& image() const { return image_; }

 private:
  std::filesystem::path dir_;
  nlohmann::json image_;
  pid_t pid_ = -1;
  int sock_ = -1;
  std::string inbuf_;
};

// Path of $PCIRIG_CACHE/images/NAME/image.json.
std::filesystem::path image_json_path(const std::string& name);

}  // namespace pcirig::test
