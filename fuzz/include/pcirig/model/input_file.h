// Saved inputs: a small text file naming the variant, the expected report
// and the bytes (hex), so `repro FILE` needs no flags. Raw libFuzzer inputs
// are read too (then the variant must come from --variant or PCIRIG_VARIANT).
//
//   # pcirig-model input
//   variant: v4.10
//   kind: use-after-return
//   title: KASAN: stack-use-after-return Read in __wake_up_common
//   scenario: reset:0,reset:0;config_read:0;config_read:0
//   kcsan: 0
//   lockless: 0
//   skip_known: 1      (only when saved by a --skip-known search: mainline's
//                       known lockdep cycle lets the run go on, findings.h)
//   bytes: 0102...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pcirig::model {

struct SavedInput {
  bool has_header = false;
  std::string variant;
  std::string kind;
  std::string title;
  std::string scenario;  // informative
  bool kcsan = false;
  bool lockless = false;
  bool skip_known = false;
  std::vector<std::uint8_t> bytes;
};

// Throws std::runtime_error("FILE:LINE: ...") on a malformed header.
SavedInput read_input_file(const std::string& path);
void write_input_file(const std::string& path, const SavedInput& in);

}  // namespace pcirig::model
