// libFuzzer target: the input is scenario + schedule bytes (run.h); the
// variant comes from PCIRIG_VARIANT (default v4.10), KCSAN from PCIRIG_KCSAN=1.
// Besides code coverage, every step bumps an extra counter keyed by a hash
// of the abstract state (task pcs and states, lock owners, blocked bits, the
// wait queue's contents), so new interleavings count as progress.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pcirig/model/run.h"

using namespace pcirig::model;

namespace {

constexpr std::size_t N_COUNTERS = 1u << 16;
__attribute__((section("__libfuzzer_extra_counters"))) std::uint8_t g_state_counters[N_COUNTERS];

std::uint64_t g_prev = 0;
void on_step(std::uint64_t h) {
  // (previous state, state) pairs: transitions, like edge coverage.
  std::uint64_t k = (h ^ (g_prev * 0x9e3779b97f4a7c15ull)) % N_COUNTERS;
  g_prev = h;
  if (g_state_counters[k] != 255) ++g_state_counters[k];
}

RunConfig g_cfg;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* v = std::getenv("PCIRIG_VARIANT");
  g_cfg.variant = find_variant(v && *v ? v : "v4.10");
  if (!g_cfg.variant) {
    std::fprintf(stderr, "pcirig-fuzz: unknown variant '%s' (PCIRIG_VARIANT); known:", v);
    for (auto* x : all_variants()) std::fprintf(stderr, " %s", x->name);
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  const char* k = std::getenv("PCIRIG_KCSAN");
  g_cfg.oracles.kcsan = k && std::strcmp(k, "1") == 0;
  g_cfg.keep_trace = false;
  g_cfg.step_hook = on_step;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_prev = 0;
  RunResult r = run_bytes({data, size}, g_cfg);
  if (r.has_report) {
    std::fprintf(stderr, "pcirig: %s: %s\npcirig-title: %s\n", g_cfg.variant->name, kind_name(r.report.kind),
                 r.report.title.c_str());
    std::fflush(stderr);
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
