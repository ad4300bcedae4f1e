// The fuzz-input view of a run: scenario bytes, then one byte per decision.
#include <algorithm>

#include "pcirig/model/run.h"

namespace pcirig::model {
namespace {

// FNV-1a of the scenario bytes: the seed of the schedule's tail.
std::uint64_t input_hash(std::span<const std::uint8_t> in) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto b : in) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

class ByteChooser final : public Chooser {
 public:
  ByteChooser(std::span<const std::uint8_t> b, std::uint64_t seed) : bytes_(b), state_(seed) {}
  int choose(std::span<const int> cand, int, std::uint64_t) override {
    std::uint64_t d = pos_++;
    if (d < bytes_.size()) return bytes_[d] % static_cast<int>(cand.size());
    // Out of bytes: decision d is drawn from (scenario, d) alone, so a short
    // input still means a whole schedule, the same bytes the same one, and a
    // mutated schedule byte changes its own decision, not every later one:
    // libFuzzer's mutations stay local to the schedule they came from.
    std::uint64_t z = state_ + (d + 1) * 0x9e3779b97f4a7c15ull;  // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<int>(z % cand.size());
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::uint64_t state_;
};

}  // namespace

RunResult run_bytes(std::span<const std::uint8_t> in, const RunConfig& cfg) {
  std::size_t used = 0;
  Scenario sc = decode_scenario(in, used);
  ByteChooser ch(in.subspan(std::min(used, in.size())), input_hash(in.first(std::min(used, in.size()))));
  return run_scenario(sc, ch, cfg);
}

std::vector<std::uint8_t> to_bytes(const RunResult& r) {
  std::vector<std::uint8_t> out = encode_scenario(r.scenario);
  out.insert(out.end(), r.choices.begin(), r.choices.end());
  return out;
}

}  // namespace pcirig::model
