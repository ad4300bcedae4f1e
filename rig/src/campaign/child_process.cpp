#include "campaign/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "util/clock.hpp"

namespace pcirig {

ChildExit run_child(const std::vector<std::string>& argv, const std::filesystem::path& output, double limit_s,
                    const std::atomic<bool>& stop) {
  int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + output.string());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: the stop reaches the script's children too
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(fd);
  ChildExit x;
  double t0 = mono_seconds(), sent_int = -1;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    double now = mono_seconds();
    if (sent_int < 0 && (stop.load() || now - t0 > limit_s)) {
      x.timed_out = !stop.load();
      ::kill(-pid, SIGINT);
      sent_int = now;
    } else if (sent_int >= 0 && now - sent_int > 30) {
      ::kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (WIFEXITED(status)) x.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) x.signal = WTERMSIG(status);
  return x;
}
}  // namespace pcirig
