// bench.sh's speed figures (fuzz/tools/speed.h): the ratios from turns run side by
// side, their medians against the 2x target, and every malformed turn file refused
// with its file:line.
#include "tools/speed.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using pcirig::tools::speed_from_turns;

class Turns {
 public:
  explicit Turns(const std::string& text)
      : path_(fs::temp_directory_path() / ("pcirig-speed-" + std::to_string(::getpid()) + "-" + std::to_string(n_++) + ".tsv")) {
    std::ofstream(path_) << text;
  }
  ~Turns() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

TEST(Speed, RatiosPerExecAndPerStepAndTheirMedians) {
  // variant seconds libfuzzer_execs/s libfuzzer_steps/run random_runs/s random_steps/run
  Turns t("v4.10 10 1000 10 1900 12\n"
          "v4.10 10 1000 10 2500 10\n"
          "v4.10 10 2000 20 3000 10\n");
  std::string error;
  auto s = speed_from_turns(t.path(), error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(s["turns"].size(), 3u);
  EXPECT_DOUBLE_EQ(s["turns"][0]["ratio_per_exec"].get<double>(), 1.9);
  EXPECT_DOUBLE_EQ(s["turns"][0]["ratio_per_step"].get<double>(), 1900.0 * 12 / (1000.0 * 10));
  EXPECT_DOUBLE_EQ(s["turns"][2]["ratio_per_step"].get<double>(), 0.75);
  // per exec: 1.9, 2.5, 1.5 -> 1.9; per step: 2.28, 2.5, 0.75 -> 2.28
  EXPECT_DOUBLE_EQ(s["median_ratio_per_exec"].get<double>(), 1.9);
  EXPECT_DOUBLE_EQ(s["median_ratio_per_step"].get<double>(), 2.28);
  EXPECT_EQ(s["variant"], "v4.10");
  EXPECT_TRUE(s["met"].get<bool>());
}

TEST(Speed, AMedianAboveTwiceIsMissed) {
  Turns t("mainline 10 1000 10 2100 10\n");
  std::string error;
  auto s = speed_from_turns(t.path(), error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_FALSE(s["met"].get<bool>());
  EXPECT_DOUBLE_EQ(s["target_ratio_per_exec"].get<double>(), 2.0);
}

TEST(Speed, MalformedTurnsAreRefusedWithTheirLine) {
  const std::pair<const char*, const char*> bad[] = {
      {"v 10 1000 10 2000\n", ":1: expected"},                       // a figure missing
      {"v 10 1000 10 2000 10 7\n", ":1: expected"},                  // one too many
      {"v 10 1000 10 2000 10\nv 10 0 10 2000 10\n", ":2: expected"},  // libFuzzer never ran
      {"v 10 1000 10 -5 10\n", ":1: expected"},
      {"v 10 1000 ten 2000 10\n", ":1: expected"},
      {"a 10 1000 10 2000 10\nb 10 1000 10 2000 10\n", ":2: turns of two variants (a, b)"},
      {"", ": no turns"},
  };
  for (const auto& [text, why] : bad) {
    Turns t(text);
    std::string error;
    auto s = speed_from_turns(t.path(), error);
    EXPECT_TRUE(s.is_null()) << text;
    EXPECT_EQ(error.rfind(t.path(), 0), 0u) << error;
    EXPECT_NE(error.find(why), std::string::npos) << text << " -> " << error;
  }
  std::string error;
  EXPECT_TRUE(speed_from_turns("/nonexistent/turns.tsv", error).is_null());
  EXPECT_EQ(error, "cannot read /nonexistent/turns.tsv");
}

}  // namespace
