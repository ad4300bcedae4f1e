// The fuzz-input view of a run: scenario bytes, then one byte per decision.
#include <algorithm>

#include "pcirig/model/run.h"

namespace pcirig::model {
namespace {

class ByteChooser final : public Chooser {
 public:
  explicit ByteChooser(std::span<const std::uint8_t> b) : bytes_(b) {}
  int choose(std::span<const int> cand, int cur, std::uint64_t) override {
    if (pos_ < bytes_.size()) return bytes_[pos_++] % static_cast<int>(cand.size());
    // Out of bytes: no more preemptions; the running task keeps going.
    auto it = std::find(cand.begin(), cand.end(), cur);
    return it == cand.end() ? 0 : static_cast<int>(it - cand.begin());
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

RunResult run_bytes(std::span<const std::uint8_t> in, const RunConfig& cfg) {
  std::size_t used = 0;
  Scenario sc = decode_scenario(in, used);
  ByteChooser ch(in.subspan(std::min(used, in.size())));
  return run_scenario(sc, ch, cfg);
}

std::vector<std::uint8_t> to_bytes(const RunResult& r) {
  std::vector<std::uint8_t> out = encode_scenario(r.scenario);
  out.insert(out.end(), r.choices.begin(), r.choices.end());
  return out;
}

}  // namespace pcirig::model
