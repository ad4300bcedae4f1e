// libFuzzer target: saved model inputs (fuzz/model/input_file.cc), the files
// `./run.sh repro FILE` and the crash corpus hold, passed around between users.
// A malformed file must give an error naming it, never a crash; a file that
// reads must write back and read again to the same input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "pcirig/model/input_file.h"

using namespace pcirig::model;

namespace {
// The parser takes a path: an anonymous in-memory file gives it one, with no disk I/O.
struct MemFile {
  int fd = memfd_create("pcirig-fuzz", 0);
  ~MemFile() { close(fd); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
};

bool same(const SavedInput& a, const SavedInput& b) {
  return a.has_header == b.has_header && a.variant == b.variant && a.kind == b.kind && a.title == b.title &&
         a.scenario == b.scenario && a.kcsan == b.kcsan && a.lockless == b.lockless && a.bytes == b.bytes;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile in_file, out_file;
  if (in_file.fd < 0 || out_file.fd < 0 || write(in_file.fd, data, size) != static_cast<ssize_t>(size)) {
    std::perror("model_input: memfd");
    std::abort();
  }
  SavedInput in;
  try {
    in = read_input_file(in_file.path());
  } catch (const std::exception& e) {
    if (std::string(e.what()).rfind(in_file.path(), 0) != 0) {
      std::fprintf(stderr, "model_input: an error that does not name the file: %s\n", e.what());
      std::abort();
    }
    return 0;
  }
  if (!in.has_header) return 0;  // raw libFuzzer bytes: nothing was parsed
  write_input_file(out_file.path(), in);
  SavedInput back = read_input_file(out_file.path());
  if (!same(in, back)) {
    std::fprintf(stderr, "model_input: written and read back, the input changed\n");
    std::abort();
  }
  return 0;
}
