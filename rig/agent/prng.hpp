// Seeded PRNG for the workload: every random choice in the agent comes from
// the seed the orchestrator sent, so a run's schedule can be replayed.
#pragma once
#include <cstdint>

namespace pcirig::agent {

// splitmix64: tiny, full-period, and good enough to spread choices; each
// worker thread derives its own stream from (seed, role, index).
class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}

  static Prng for_worker(std::uint64_t seed, std::uint32_t role, std::uint32_t index) {
    Prng mix(seed ^ (std::uint64_t{role} << 32) ^ index);
    mix.next();
    return Prng(mix.next());
  }

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); n == 0 yields 0.
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }

 private:
  std::uint64_t state_;
};

}  // namespace pcirig::agent
