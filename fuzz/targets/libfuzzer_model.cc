// libFuzzer target: the input is scenario + schedule bytes (run.h); the
// variant comes from PCIRIG_VARIANT (default v4.10), KCSAN from PCIRIG_KCSAN=1,
// PCIRIG_ACCESS_ONLY=1 keeps to the access.c scenarios (clears the topology bit),
// PCIRIG_SKIP_KNOWN=1 does not count mainline's known findings as crashes.
// Code coverage guides by default. Two more feature sets are opt-in, because
// on the eras measured they made libFuzzer need more schedules, not fewer
// (docs/model.md "Measured"): PCIRIG_STATE_COUNTERS=1 marks, at every step,
// an extra counter keyed by a hash of the abstract state (task pcs and
// states, lock owners, blocked bits, the wait queue's contents);
// PCIRIG_EDGE_FEATURES=1 marks one per lock-order pair and wait-for edge
// (features.cc). Both need pcirig-fuzz: pcirig-fuzz-fast has no extra counters.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pcirig/model/findings.h"
#include "pcirig/model/run.h"

using namespace pcirig::model;

#ifndef PCIRIG_NO_EXTRA_COUNTERS
namespace {

// One counter per abstract state (hashed into 8192 slots), set, not counted:
// libFuzzer then keeps an input when it reaches a state no input reached
// before. (Counting (previous, current) pairs was tried: it made ~80 000
// features and a corpus of 10 000 inputs in minutes, and fork mode crawled.)
constexpr std::size_t N_COUNTERS = 1u << 13;

}  // namespace

// External and `used`: an internal array that is only ever written is
// deleted by clang -O2 with its section, and libFuzzer then sees no extra
// counters at all (the fast build lost them that way until 2026-11-30).
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t pcirig_state_counters[N_COUNTERS];
// Lock-order and wait-for edges (features.cc), apart from the states.
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t pcirig_edge_counters[N_COUNTERS];

namespace {
void on_step(std::uint64_t h) { pcirig_state_counters[h % N_COUNTERS] = 1; }
void on_edge(std::uint64_t h) { pcirig_edge_counters[h % N_COUNTERS] = 1; }
}  // namespace
#endif

namespace {

RunConfig g_cfg;

// Per-run work, printed with -print_final_stats=1 beside libFuzzer's own
// stats, so execs/s compares with `pcirig-model random` (steps/run) fairly.
std::uint64_t g_runs, g_steps;
void print_stats() {
  std::fprintf(stderr, "stat::pcirig_runs:               %llu\nstat::pcirig_steps_per_run:      %.1f\n",
               static_cast<unsigned long long>(g_runs), g_runs ? double(g_steps) / double(g_runs) : 0.0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i)
    if (std::strcmp((*argv)[i], "-print_final_stats=1") == 0) std::atexit(print_stats);
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
  const char* a = std::getenv("PCIRIG_ACCESS_ONLY");
  g_cfg.topology = !(a && std::strcmp(a, "1") == 0);
  const char* sk = std::getenv("PCIRIG_SKIP_KNOWN");
  g_cfg.skip_known = sk && std::strcmp(sk, "1") == 0;
  g_cfg.keep_trace = false;
  const char* sc = std::getenv("PCIRIG_STATE_COUNTERS");
  const char* ef = std::getenv("PCIRIG_EDGE_FEATURES");
  bool states = sc && std::strcmp(sc, "1") == 0, edges = ef && std::strcmp(ef, "1") == 0;
#ifdef PCIRIG_NO_EXTRA_COUNTERS
  if (states || edges) {
    std::fprintf(stderr, "pcirig-fuzz-fast has no extra counters (libFuzzer clears and scans them after every run, "
                         "used or not): PCIRIG_STATE_COUNTERS and PCIRIG_EDGE_FEATURES need pcirig-fuzz\n");
    std::exit(2);
  }
#else
  g_cfg.step_hook = states ? on_step : nullptr;
  g_cfg.feature_hook = edges ? on_edge : nullptr;
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint8_t first = size ? data[0] : 0;
  if (!g_cfg.topology && size && (first & 0x80)) {
    static std::vector<std::uint8_t> copy;
    copy.assign(data, data + size);
    copy[0] &= 0x7f;
    data = copy.data();
  }
  RunResult r = run_bytes({data, size}, g_cfg);
  ++g_runs;
  g_steps += r.steps;
  if (r.has_report && !(g_cfg.skip_known && known_finding(r.report))) {
    std::fprintf(stderr, "pcirig: %s: %s\npcirig-title: %s\n", g_cfg.variant->name, kind_name(r.report.kind),
                 r.report.title.c_str());
    std::fflush(stderr);
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
