// The generic seeds libFuzzer starts from (fuzz/tools/seed_corpus.h): scenario
// bytes only, every call kind and selector they promise, and clean on mainline.
#include "tools/seed_corpus.h"

#include <gtest/gtest.h>

#include <set>

#include "pcirig/model/findings.h"
#include "pcirig/model/run.h"
#include "pcirig/model/scenario.h"

using namespace pcirig::model;
using pcirig::tools::generic_seed_inputs;

namespace {

Scenario decode_all(const std::vector<std::uint8_t>& b) {
  std::size_t used = 0;
  Scenario s = decode_scenario(b, used);
  EXPECT_EQ(used, b.size()) << "a seed is a scenario only: no schedule bytes";
  return s;
}

// Every call a topology input can decode to: a one-call task per low nibble.
std::set<Call> topology_calls() {
  std::set<Call> out;
  for (std::uint8_t b = 0; b < 16; ++b) {
    std::vector<std::uint8_t> in{0x80, 0, b, 0, 0};
    out.insert(decode_all(in).tasks[0][0].call);
  }
  return out;
}

TEST(SeedCorpus, TwentyFourDistinctScenariosOfFiveTasksAndThreeCalls) {
  auto seeds = generic_seed_inputs();
  ASSERT_EQ(seeds.size(), 24u);
  EXPECT_EQ(std::set<std::vector<std::uint8_t>>(seeds.begin(), seeds.end()).size(), seeds.size());
  for (const auto& b : seeds) {
    Scenario s = decode_all(b);
    ASSERT_EQ(s.tasks.size(), 5u);
    for (const auto& t : s.tasks) EXPECT_EQ(t.size(), 3u);
  }
}

TEST(SeedCorpus, EveryCallKindAndSelectorAppears) {
  auto seeds = generic_seed_inputs();
  std::set<Call> access, topo;
  std::set<int> access_args, topo_selectors;
  std::set<std::pair<int, int>> access_devs;  // (ndevs, dev)
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    Scenario s = decode_all(seeds[i]);
    EXPECT_EQ(s.topo, i >= 12) << "seed " << i;
    for (const auto& t : s.tasks)
      for (const auto& c : t) {
        (s.topo ? topo : access).insert(c.call);
        if (!s.topo) access_args.insert(c.arg), access_devs.insert({s.ndevs, c.dev});
      }
    if (s.topo)  // the target selector is the call byte's high nibble
      for (std::size_t p = 1; p < seeds[i].size(); p += 4)
        for (std::size_t j = 1; j <= 3; ++j) topo_selectors.insert(seeds[i][p + j] / 16);
  }
  EXPECT_EQ(access.size(), std::size_t(N_FUZZ_CALLS));
  EXPECT_EQ(access_args, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(access_devs, (std::set<std::pair<int, int>>{{1, 0}, {2, 0}, {2, 1}}));
  EXPECT_EQ(topo, topology_calls());
  EXPECT_EQ(topo_selectors.size(), 16u);
}

// libFuzzer runs every seed first: one that crashed mainline would end a campaign
// before it began. Known findings are passed over, as campaigns do.
TEST(SeedCorpus, CleanOnMainlineWithTheScheduleLeftEmpty) {
  RunConfig cfg;
  cfg.variant = find_variant("mainline");
  ASSERT_NE(cfg.variant, nullptr);
  cfg.skip_known = true;
  for (const auto& b : generic_seed_inputs()) {
    RunResult r = run_bytes(b, cfg);
    EXPECT_FALSE(r.has_report && !known_finding(r.report)) << scenario_string(r.scenario) << ": " << r.report.title;
  }
}

}  // namespace
