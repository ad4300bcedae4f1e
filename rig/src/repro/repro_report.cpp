#include "repro/repro_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "util/median.hpp"

namespace pcirig {

namespace {
std::vector<double> reproduced_times(const ReproOutcome& o) {
  std::vector<double> t;
  for (const auto& a : o.per_attempt)
    if (a.match.reproduced) t.push_back(a.seconds_to_crash);
  return t;
}
}  // namespace

nlohmann::json repro_json(const ReproRun& r) {
  const ReproSource& s = *r.src;
  const ReproOutcome& o = *r.outcome;
  nlohmann::json per = nlohmann::json::array();
  std::map<std::string, int> other;
  for (const auto& a : o.per_attempt) {
    nlohmann::json j = {{"attempt", a.index}, {"run_dir", a.run_dir.string()}, {"result", a.result},
                        {"ready_seconds", a.ready_seconds}, {"start", a.start_mode}, {"infra_retries", a.infra},
                        {"replay", {{"plugs", a.replay.plugs}, {"unplugs", a.replay.unplugs}, {"skipped", a.replay.skipped}}}};
    if (a.crash) {
      j["title"] = a.crash->title;
      j["kind"] = a.crash->kind;
      j["function"] = a.crash->function;
      j["seconds_to_crash"] = a.seconds_to_crash;
      j["phase"] = a.phase;
      if (!a.match.reproduced) other[a.crash->title]++;
    } else {
      j["title"] = nullptr;
      j["seconds_to_crash"] = nullptr;
    }
    j["rule"] = a.match.rule.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.match.rule);
    j["reproduced"] = a.match.reproduced;
    per.push_back(j);
  }
  double med = median(reproduced_times(o));
  nlohmann::json j = {
      {"source", s.dir.string()},
      {"source_kind", s.is_bundle ? "bundle" : "run_dir"},
      {"original", {{"title", s.crash->title}, {"kind", s.crash->kind}, {"function", s.crash->function},
                    {"variant_family", variant_family(s.crash->kind).empty() ? nlohmann::json(nullptr)
                                                                              : nlohmann::json(variant_family(s.crash->kind))},
                    {"seconds_to_crash", s.original_seconds_to_crash >= 0 ? nlohmann::json(s.original_seconds_to_crash)
                                                                          : nlohmann::json(nullptr)}}},
      {"seed", s.seed},
      {"kernel", {{"name", r.kernel->image.name}, {"cache_key", r.kernel->image.info.value("cache_key", "")},
                  {"exact", r.kernel->exact}, {"from", r.kernel->from}}},
      {"follow_journal", r.options->follow_journal},
      {"replay_ops", s.replay.size()},
      {"attempts_requested", r.options->attempts},
      {"attempts", o.completed()},
      {"reproduced", o.reproduced()},
      {"rate", o.rate()},
      {"median_seconds_to_crash", med >= 0 ? nlohmann::json(med) : nlohmann::json(nullptr)},
      {"other_titles", other},
      {"infra_failures", o.infra_failures},
      {"interrupted", o.interrupted},
      {"time_limit_seconds", r.options->time_limit_s},
      {"parallel", r.options->parallel},
      {"per_attempt", per},
      {"exit_code", o.exit_code()}};
  return j;
}

std::string repro_summary(const ReproRun& r) {
  const ReproOutcome& o = *r.outcome;
  std::string s = fmt::format("  original: {}\n", r.src->crash->title);
  s += fmt::format("  reproduced {}/{} ({:.0f}%)", o.reproduced(), o.completed(), 100 * o.rate());
  double med = median(reproduced_times(o));
  if (med >= 0) s += fmt::format(", median {:.1f} s to the crash", med);
  if (o.infra_failures) s += fmt::format("; {} infrastructure fault(s), retried and not counted", o.infra_failures);
  s += "\n";
  std::map<std::string, int> other;
  for (const auto& a : o.per_attempt)
    if (a.crash && !a.match.reproduced) other[a.crash->title]++;
  for (const auto& [t, n] : other) s += fmt::format("  different crash ({}x): {}\n", n, t);
  if (!r.kernel->exact) s += "  note: the kernel is not the run's (cache_key differs)\n";
  s += o.exit_code() == 0   ? "  REPRODUCED\n"
       : o.exit_code() == 1 ? "  NOT REPRODUCED\n"
                            : "  NO VERDICT: no attempt got past the infrastructure\n";
  return s;
}
}  // namespace pcirig
