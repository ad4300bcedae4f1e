// QEMU as a child (Boost.Process v2) in the rig's Asio loop. It runs in its own process
// group (a Ctrl-C on the terminal reaches the rig, which then stops QEMU and keeps the
// run) and dies with the rig (PR_SET_PDEATHSIG). Its stderr goes straight to a file, so
// an assertion message survives whatever happens to the rig.
#pragma once
#include <boost/asio.hpp>
#include <boost/process/v2/process.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pcirig {
namespace asio = boost::asio;

struct QemuExit {
  bool signalled = false;
  int code = 0;           // exit status, or the signal number when signalled
  std::string describe() const;
};

class QemuProcess {
 public:
  explicit QemuProcess(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  ~QemuProcess();

  // Throws std::runtime_error when QEMU cannot be started at all.
  void start(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file);
  bool running() const { return running_; }
  int pid() const { return pid_; }
  const std::optional<QemuExit>& exit() const { return exit_; }
  std::function<void(const QemuExit&)> on_exit;

  void signal(int sig);           // e.g. SIGSTOP in the hung-guest test
  void kill_now();                // SIGKILL
  std::string stderr_tail(size_t max_bytes = 4000) const;

 private:
  asio::any_io_executor ex_;
  std::optional<boost::process::v2::process> proc_;
  std::filesystem::path stderr_file_;
  bool running_ = false;
  int pid_ = -1;
  std::optional<QemuExit> exit_;
};

// Run a command to completion (used for the accelerator probe's version checks etc.).
std::string qemu_version(const std::string& qemu);
}  // namespace pcirig
