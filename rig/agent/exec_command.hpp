// The `exec` command: run a program in the guest (tests load the crash test
// module with it) and report its exit status and output.
#pragma once
#include <string>
#include <vector>

namespace pcirig::agent {

struct ExecResult {
  int status = -1;          // exit code, or 128+signal, or -1 if it could not start
  std::string output;       // stdout and stderr interleaved, capped
  std::string error;        // why it could not start
};

// Blocks until the program exits; output beyond `cap` bytes is dropped.
ExecResult run_program(const std::vector<std::string>& argv, std::size_t cap = 64 * 1024);

}  // namespace pcirig::agent
