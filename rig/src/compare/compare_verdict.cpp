#include "compare/compare_verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "compare/crash_rate.hpp"

namespace pcirig {
namespace {

struct Side {
  int runs = 0, crashed = 0, infra = 0;
  double exposure = 0;
  std::vector<double> times;  // every counted run; a clean one is +inf (crashed later, if ever)
  std::map<std::string, int> titles;
  CrashRate rate;
  double median = -1;         // < 0: the median run did not crash
};

Side summarise(const std::vector<CompareRun>& runs, const std::string& side, double confidence) {
  Side s;
  for (const auto& r : runs) {
    if (r.side != side) continue;
    if (r.result != "clean" && r.result != "crash") {
      s.infra++;  // an infrastructure failure or an interrupted run says nothing about the kernel
      continue;
    }
    s.runs++;
    s.exposure += r.seconds;
    if (r.result == "crash") {
      s.crashed++;
      s.titles[r.title]++;
      s.times.push_back(r.seconds);
    } else {
      s.times.push_back(std::numeric_limits<double>::infinity());
    }
  }
  s.rate = crash_rate(s.crashed, s.exposure, confidence);
  if (!s.times.empty()) {
    auto t = s.times;
    std::sort(t.begin(), t.end());
    double m = t.size() % 2 ? t[t.size() / 2] : (t[t.size() / 2 - 1] + t[t.size() / 2]) / 2;
    s.median = std::isinf(m) ? -1 : m;
  }
  return s;
}

std::string top_title(const Side& s) {
  std::string best;
  int n = 0;
  for (const auto& [t, c] : s.titles)
    if (c > n) best = t, n = c;
  return best;
}

std::string rate_text(const CrashRate& r) {
  return fmt::format("{:.3g}/s, {:.0f}% CI {:.3g}-{:.3g}", r.rate, r.confidence * 100, r.lo, r.hi);
}

std::string side_text(const std::string& name, const Side& s) {
  if (s.crashed == 0) return fmt::format("{}: 0 reports in {:.0f} s ({} runs)", name, s.exposure, s.runs);
  std::string med = s.median >= 0 ? fmt::format("median {:.1f} s", s.median) : "median run did not crash";
  return fmt::format("{}: crashed {}/{}, {}, \"{}\"", name, s.crashed, s.runs, med, top_title(s));
}

nlohmann::json side_json(const Side& s, const CompareSubject& k) {
  nlohmann::json titles = nlohmann::json::object();
  for (const auto& [t, c] : s.titles) titles[t] = c;
  return {{"kernel", k.name},
          {"release", k.release},
          {"cache_key", k.cache_key},
          {"runs", s.runs},
          {"crashed", s.crashed},
          {"infra_or_interrupted", s.infra},
          {"exposure_seconds", s.exposure},
          {"median_seconds_to_crash", s.median >= 0 ? nlohmann::json(s.median) : nlohmann::json(nullptr)},
          {"rate_per_second", s.rate.rate},
          {"rate_ci", {s.rate.lo, s.rate.hi}},
          {"titles", titles}};
}
}  // namespace

std::string format_probability(double p) {
  if (p <= 0 || p < 1e-300) return "< 1e-300";
  if (p < 1e-3) return fmt::format("{:.1e}", p);
  return fmt::format("{:.3f}", p);
}

CompareVerdict compare_verdict(const std::vector<CompareRun>& runs, const CompareSubject& base,
                               const CompareSubject& candidate, double confidence) {
  Side a = summarise(runs, "base", confidence), b = summarise(runs, "candidate", confidence);
  CompareVerdict v;
  nlohmann::json stats;
  std::string s = side_text("base", a) + "; " + side_text("candidate", b);
  double alpha = 1 - confidence;
  int total = a.crashed + b.crashed;
  double share_b = a.exposure + b.exposure > 0 ? b.exposure / (a.exposure + b.exposure) : 0;
  if (a.runs == 0 || b.runs == 0) {
    v.verdict = "inconclusive";
    s += "; a side has no completed run";
  } else if (a.crashed > 0 && b.crashed == 0) {
    double p = p_no_crash(a.rate.rate, b.exposure), p_lo = p_no_crash(a.rate.lo, b.exposure);
    s += fmt::format("; if the candidate still had the base's crash rate ({}), P(no crash in {:.0f} s) = {} ({} at the "
                     "interval's lower end)",
                     rate_text(a.rate), b.exposure, format_probability(p), format_probability(p_lo));
    v.verdict = p_lo < alpha ? "fixed" : "inconclusive";
    stats["p_no_crash_at_base_rate"] = p;
    stats["p_no_crash_at_base_rate_lower_bound"] = p_lo;
  } else if (a.crashed > 0 && b.crashed > 0) {
    double less = p_at_most(b.crashed, total, share_b), more = p_at_least(b.crashed, total, share_b);
    s += fmt::format("; rates base {} vs candidate {}; equal-rate test: P(candidate this low) = {}, P(this high) = {}",
                     rate_text(a.rate), rate_text(b.rate), format_probability(less), format_probability(more));
    v.verdict = less < alpha ? "crashes less" : more < alpha ? "crashes more" : "still crashes";
    stats["p_candidate_rate_not_lower"] = less;
    stats["p_candidate_rate_not_higher"] = more;
  } else if (b.crashed > 0) {
    double p = p_no_crash(b.rate.rate, a.exposure), p_lo = p_no_crash(b.rate.lo, a.exposure);
    s += fmt::format("; the candidate crashes where the base did not: at the candidate's rate ({}), P(no crash in the "
                     "base's {:.0f} s) = {} ({} at the interval's lower end)",
                     rate_text(b.rate), a.exposure, format_probability(p), format_probability(p_lo));
    v.verdict = p_lo < alpha ? "regression" : "inconclusive";
    stats["p_base_clean_at_candidate_rate"] = p;
    stats["p_base_clean_at_candidate_rate_lower_bound"] = p_lo;
  } else {
    s += fmt::format("; neither crashed: rates below {:.3g}/s (base) and {:.3g}/s (candidate) at {:.0f}%", a.rate.hi,
                     b.rate.hi, confidence * 100);
    v.verdict = "no crash";
  }
  // Every title, with the side it occurred on.
  std::map<std::string, std::pair<int, int>> titles;
  for (const auto& [t, c] : a.titles) titles[t].first = c;
  for (const auto& [t, c] : b.titles) titles[t].second = c;
  nlohmann::json tj = nlohmann::json::array();
  if (!titles.empty()) {
    s += ". Titles:";
    bool first = true;
    for (const auto& [t, c] : titles) {
      s += fmt::format("{} \"{}\" (base {}, candidate {})", first ? "" : ";", t, c.first, c.second);
      first = false;
      tj.push_back({{"title", t},
                    {"base", c.first},
                    {"candidate", c.second},
                    {"sides", c.first && c.second ? "both" : c.first ? "base" : "candidate"}});
    }
  }
  if (a.infra + b.infra > 0)
    s += fmt::format(". Not counted: {} base and {} candidate runs that ended in an infrastructure failure or were interrupted",
                     a.infra, b.infra);
  s += fmt::format(". Model: crash times exponential, rate = crashes / total run time, {:.0f}% Poisson CI.",
                   confidence * 100);
  v.sentence = s;
  nlohmann::json rj = nlohmann::json::array();
  for (const auto& r : runs)
    rj.push_back({{"side", r.side},
                  {"pair", r.index},
                  {"seed", r.seed},
                  {"result", r.result},
                  {"title", r.title.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.title)},
                  {"seconds", r.seconds},
                  {"host_load_start", r.load_start},
                  {"host_load_max", r.load_max},
                  {"run_dir", r.run_dir}});
  v.json = {{"verdict", v.verdict},     {"sentence", v.sentence},       {"model", "exponential"},
            {"confidence", confidence}, {"base", side_json(a, base)},   {"candidate", side_json(b, candidate)},
            {"titles", tj},             {"statistics", stats},          {"runs", rj}};
  return v;
}
}  // namespace pcirig
