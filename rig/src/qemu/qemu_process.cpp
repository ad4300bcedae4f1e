#include "qemu/qemu_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/stdio.hpp>
#include <cstdio>
#include <stdexcept>

#include "util/line_log.hpp"

namespace bp2 = boost::process::v2;
namespace pcirig {

namespace {
// Runs in the child between fork and exec.
struct OwnGroupDieWithParent {
  template <typename Launcher, typename Path, typename Argv>
  bp2::error_code on_exec_setup(Launcher&, const Path&, Argv&) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return {};
  }
};
}  // namespace

std::string QemuExit::describe() const {
  if (signalled) return fmt::format("killed by signal {} ({})", code, strsignal(code));
  return fmt::format("exited with status {}", code);
}

QemuProcess::~QemuProcess() {
  if (running_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void QemuProcess::start(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file) {
  stderr_file_ = stderr_file;
  int err_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", stderr_file.string(), strerror(errno)));
  auto exe = bp2::environment::find_executable(argv.at(0));
  if (exe.empty()) {
    ::close(err_fd);
    throw std::runtime_error(fmt::format("{} not found in PATH (install qemu-system-x86)", argv[0]));
  }
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  boost::system::error_code ec;
  try {
    proc_.emplace(ex_, exe, args, bp2::process_stdio{nullptr, nullptr, err_fd}, OwnGroupDieWithParent{});
  } catch (const std::exception& e) {
    ::close(err_fd);
    throw std::runtime_error(fmt::format("cannot start {}: {}", exe.string(), e.what()));
  }
  ::close(err_fd);
  running_ = true;
  pid_ = proc_->id();
  proc_->async_wait([this](boost::system::error_code, int) {
    running_ = false;
    int st = proc_->native_exit_code();
    QemuExit x;
    if (WIFSIGNALED(st)) {
      x.signalled = true;
      x.code = WTERMSIG(st);
    } else {
      x.code = WIFEXITED(st) ? WEXITSTATUS(st) : st;
    }
    exit_ = x;
    if (on_exit) on_exit(x);
  });
}

void QemuProcess::signal(int sig) {
  if (running_ && pid_ > 0) ::kill(pid_, sig);
}

void QemuProcess::kill_now() {
  if (running_ && pid_ > 0) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
  }
}

std::string QemuProcess::stderr_tail(size_t max_bytes) const {
  std::string s = read_file_text(stderr_file_);
  if (s.size() > max_bytes) s = s.substr(s.size() - max_bytes);
  return s;
}

std::string qemu_version(const std::string& qemu) {
  std::string cmd = qemu + " --version 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {0};
  std::string out = std::fgets(buf, sizeof buf, p) ? buf : "";
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}
}  // namespace pcirig
