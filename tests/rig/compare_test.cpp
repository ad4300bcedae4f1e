// pcirig compare's statistics and verdict (rig/src/compare), on made-up runs.
#include <gtest/gtest.h>

#include <cmath>

#include "compare/compare_verdict.hpp"
#include "compare/crash_rate.hpp"

using namespace pcirig;

TEST(CrashRate, ChiSquareQuantilesMatchTables) {
  EXPECT_NEAR(chi2_quantile(0.975, 2), 7.3778, 1e-3);
  EXPECT_NEAR(chi2_quantile(0.025, 10), 3.2470, 1e-3);
  EXPECT_NEAR(chi2_quantile(0.975, 22), 36.781, 1e-2);
  EXPECT_NEAR(chi2_quantile(0.5, 1), 0.45494, 1e-4);
}

TEST(CrashRate, PoissonIntervalForZeroAndSomeCrashes) {
  // No crash in 100 s: the 95% upper bound is -ln(0.025)/100.
  CrashRate z = crash_rate(0, 100);
  EXPECT_EQ(z.rate, 0);
  EXPECT_EQ(z.lo, 0);
  EXPECT_NEAR(z.hi, 3.6889 / 100, 1e-4);
  // 10 crashes in 50 s: Garwood interval [4.795, 18.39] / 50.
  CrashRate r = crash_rate(10, 50);
  EXPECT_NEAR(r.rate, 0.2, 1e-12);
  EXPECT_NEAR(r.lo, 4.7954 / 50, 1e-3);
  EXPECT_NEAR(r.hi, 18.390 / 50, 1e-3);
}

TEST(CrashRate, EqualRateTest) {
  // 5 and 0 crashes in equal time: P(0 of 5 on the candidate's side) = 0.5^5.
  EXPECT_NEAR(p_at_most(0, 5, 0.5), 1.0 / 32, 1e-12);
  EXPECT_NEAR(p_at_least(5, 5, 0.5), 1.0 / 32, 1e-12);
  EXPECT_NEAR(p_at_most(5, 5, 0.5), 1.0, 1e-12);
}

namespace {
CompareRun run(const char* side, int i, const char* result, double s, const char* title = "") {
  CompareRun r;
  r.side = side, r.index = i, r.seed = 100 + i, r.result = result, r.seconds = s, r.title = title;
  return r;
}
const CompareSubject kBase{"regression", "6.1.192-pcirig-regression", "k1"}, kCand{"fixed", "6.1.192-pcirig-fixed", "k2"};
}  // namespace

TEST(CompareVerdict, FixedWhenTheBaseCrashesAndTheCandidateNever) {
  std::vector<CompareRun> runs;
  const char* t = "BUG: unable to handle page fault in __wake_up_common";
  double times[] = {4, 6, 5, 9, 3};
  for (int i = 0; i < 5; i++) {
    runs.push_back(run("base", i, "crash", times[i], t));
    runs.push_back(run("candidate", i, "clean", 60));
  }
  auto v = compare_verdict(runs, kBase, kCand);
  EXPECT_EQ(v.verdict, "fixed");
  EXPECT_NE(v.sentence.find("base: crashed 5/5, median 5.0 s, \"BUG: unable to handle page fault in __wake_up_common\""),
            std::string::npos)
      << v.sentence;
  EXPECT_NE(v.sentence.find("candidate: 0 reports in 300 s (5 runs)"), std::string::npos) << v.sentence;
  // rate 5/27 per s; P(no crash in 300 s) = exp(-300 * 5/27)
  EXPECT_NEAR(v.json["statistics"]["p_no_crash_at_base_rate"].get<double>(), std::exp(-300.0 * 5 / 27), 1e-30);
  EXPECT_EQ(v.json["base"]["crashed"], 5);
  EXPECT_EQ(v.json["titles"][0]["sides"], "base");
  EXPECT_EQ(v.json["runs"].size(), 10u);
}

TEST(CompareVerdict, EveryTitleWithItsSide) {
  std::vector<CompareRun> runs = {run("base", 0, "crash", 5, "A"), run("candidate", 0, "crash", 30, "B"),
                                  run("base", 1, "crash", 7, "A"), run("candidate", 1, "clean", 60),
                                  run("base", 2, "infra", 1), run("candidate", 2, "crash", 20, "A")};
  auto v = compare_verdict(runs, kBase, kCand);
  EXPECT_NE(v.sentence.find("\"A\" (base 2, candidate 1)"), std::string::npos) << v.sentence;
  EXPECT_NE(v.sentence.find("\"B\" (base 0, candidate 1)"), std::string::npos) << v.sentence;
  EXPECT_NE(v.sentence.find("Not counted: 1 base and 0 candidate runs"), std::string::npos) << v.sentence;
  EXPECT_EQ(v.json["base"]["runs"], 2);  // the infra run is not counted
  EXPECT_EQ(v.json["titles"][0]["sides"], "both");
  EXPECT_EQ(v.json["titles"][1]["sides"], "candidate");
}

TEST(CompareVerdict, TooLittleTimeIsInconclusiveNotFixed) {
  // One base crash after 50 s and one clean candidate minute: the base's rate is too
  // uncertain to call the candidate fixed.
  auto v = compare_verdict({run("base", 0, "crash", 50, "A"), run("candidate", 0, "clean", 60)}, kBase, kCand);
  EXPECT_EQ(v.verdict, "inconclusive");
}

TEST(CompareVerdict, NeitherCrashed) {
  auto v = compare_verdict({run("base", 0, "clean", 60), run("candidate", 0, "clean", 60)}, kBase, kCand);
  EXPECT_EQ(v.verdict, "no crash");
  EXPECT_NE(v.sentence.find("neither crashed"), std::string::npos);
}

TEST(CompareVerdict, CandidateWorseIsARegression) {
  std::vector<CompareRun> runs;
  for (int i = 0; i < 5; i++) runs.push_back(run("base", i, "clean", 60)), runs.push_back(run("candidate", i, "crash", 2, "X"));
  EXPECT_EQ(compare_verdict(runs, kBase, kCand).verdict, "regression");
}
