// Scenario bytes and text.
#include <gtest/gtest.h>

#include "pcirig/model/scenario.h"

using namespace pcirig::model;

namespace {

TEST(Scenario, EncodeDecodeRoundTrip) {
  Scenario s = parse_scenario("reset:0,config_read:1;try_reset:1,perf_read:0:2;msi_mask:0,config_write:1");
  auto bytes = encode_scenario(s);
  std::size_t used = 0;
  Scenario d = decode_scenario(bytes, used);
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(scenario_string(d), scenario_string(s));
  EXPECT_EQ(d.ndevs, 2);
}

TEST(Scenario, DecodeNeverFailsAndStaysInRange) {
  for (int seed = 0; seed < 2000; ++seed) {
    std::vector<std::uint8_t> b(static_cast<std::size_t>(seed % 17));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(seed * 131 + i * 7);
    std::size_t used = 0;
    Scenario s = decode_scenario(b, used);
    ASSERT_GE(s.tasks.size(), 2u);
    ASSERT_LE(s.tasks.size(), 5u);
    for (auto& t : s.tasks) {
      ASSERT_GE(t.size(), 1u);
      ASSERT_LE(t.size(), 3u);
      for (auto& c : t) {
        if (s.topo)
          ASSERT_NE(c.call, Call::cfg_unlock);
        else
          ASSERT_LT(static_cast<int>(c.call), N_FUZZ_CALLS);
        ASSERT_LT(c.dev, s.ndevs);
        ASSERT_LT(c.arg, s.tasks.size());
      }
    }
  }
}

TEST(Scenario, BadTextNamesTheToken) {
  try {
    parse_scenario("reset:0;frobnicate:1");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("frobnicate"), std::string::npos);
  }
  EXPECT_THROW(parse_scenario("perf_read:0:7;reset:0"), std::invalid_argument);
}

}  // namespace
