// The A/B verdict of `pcirig compare`: per side the crash count, time to crash,
// titles and the exponential rate with its confidence interval; one sentence a
// maintainer can paste into a commit message, and the same as JSON.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pcirig {

struct CompareRun {
  std::string side;        // "base" | "candidate"
  int index = 0;           // pair number: base and candidate of one pair share the seed
  uint64_t seed = 0;
  std::string result;      // clean | crash | infra | interrupted
  std::string title;       // the crash title when result is crash
  double seconds = 0;      // run length: time to crash, or the whole run when clean
  double load_start = 0;   // host 1-minute load when the run started
  double load_max = 0;     // highest host 1-minute load sampled during the run
  std::string run_dir;
};

struct CompareSubject {
  std::string name, release, cache_key;
};

struct CompareVerdict {
  std::string verdict;     // fixed | still crashes | crashes less | crashes more | regression | no crash | inconclusive
  std::string sentence;
  nlohmann::json json;
};

CompareVerdict compare_verdict(const std::vector<CompareRun>& runs, const CompareSubject& base,
                               const CompareSubject& candidate, double confidence = 0.95);

// "1.2e-09", "0.034", or "< 1e-300" when it underflows.
std::string format_probability(double p);
}  // namespace pcirig
