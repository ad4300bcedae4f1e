// A child program whose stdout and stderr go to one file, stopped after a time limit
// (SIGINT, then SIGKILL) and killed with the campaign (PR_SET_PDEATHSIG).
#pragma once
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace pcirig {
struct ChildExit {
  int code = -1;          // exit status, or -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
};
// `stop` set by the caller (Ctrl-C of the campaign) ends the child early.
ChildExit run_child(const std::vector<std::string>& argv, const std::filesystem::path& output, double limit_s,
                    const std::atomic<bool>& stop);
}  // namespace pcirig
