#include "tools/seed_corpus.h"

#include "pcirig/model/scenario.h"

namespace pcirig::tools {

std::vector<std::vector<std::uint8_t>> generic_seed_inputs() {
  using model::N_FUZZ_CALLS;
  constexpr int kTasks = 5, kCalls = 3;
  std::vector<std::vector<std::uint8_t>> out;
  // access.c: call + 8 * device + 16 * task argument. The calls repeat every
  // N_FUZZ_CALLS seeds, so the second six have dev1 too, the calls alternating.
  for (int k = 0; k < 12; ++k) {
    const int two_devs = k / N_FUZZ_CALLS;
    std::vector<std::uint8_t> b{static_cast<std::uint8_t>(kTasks - 2 + 4 * two_devs)};
    for (int t = 0; t < kTasks; ++t) {
      b.push_back(kCalls - 1);
      for (int j = 0; j < kCalls; ++j)
        b.push_back(static_cast<std::uint8_t>((k + (j + 1) * t + j) % N_FUZZ_CALLS + 8 * (two_devs * ((t + j) % 2)) +
                                              16 * ((t + 1) % kTasks)));
    }
    out.push_back(std::move(b));
  }
  for (int k = 0; k < 12; ++k) {  // topology: call index + 16 * (target, argument) selector
    std::vector<std::uint8_t> b{0x80 | (kTasks - 2)};
    for (int t = 0; t < kTasks; ++t) {
      b.push_back(kCalls - 1);
      for (int j = 0; j < kCalls; ++j)
        b.push_back(static_cast<std::uint8_t>((k * 7 + t * 3 + j * 5) % 16 + 16 * ((k + 2 * t + j) % 16)));
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace pcirig::tools
