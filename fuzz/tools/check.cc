#include "tools/check.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "pcirig/model/input_file.h"
#include "pcirig/model/schedulers.h"

namespace pcirig::tools {
using namespace pcirig::model;

std::string dfs_scenario_for_tasks(int tasks) {
  switch (tasks) {
    case 2: return "reset:0;config_read:0,perf_read:0:0";
    case 3: return "reset:0,reset:0;config_read:0;config_read:0,perf_read:0:1";
    case 4: return "reset:0,reset:0;config_read:0;config_read:0;perf_read:0:1";
    default: throw std::invalid_argument("DFS scenarios exist for 2..4 tasks");
  }
}

namespace {
// The first report: minimised, saved, and shown as timeline and title.
int report(const char* how, const std::vector<std::uint8_t>& input, const CheckOptions& o) {
  const RunConfig& cfg = o.cfg;
  std::vector<std::uint8_t> bytes = minimize_input(input, cfg);
  RunResult r = run_bytes(bytes, cfg);
  std::string path = o.save.empty() ? std::string("check-") + cfg.variant->name + ".pcirig" : o.save;
  SavedInput s;
  s.has_header = true;
  s.variant = cfg.variant->name;
  s.kind = kind_name(r.report.kind);
  s.title = r.report.title;
  s.scenario = scenario_string(r.scenario);
  s.kcsan = cfg.oracles.kcsan;
  s.lockless = cfg.lockless_config;
  s.skip_known = cfg.skip_known;
  s.bytes = bytes;
  write_input_file(path, s);
  std::printf("\nREPORT (%s): %s: %s\nminimised: %zu -> %zu bytes, saved to %s (replay: pcirig-model repro %s)\n"
              "scenario: %s\n\n",
              how, kind_name(r.report.kind), r.report.title.c_str(), input.size(), bytes.size(), path.c_str(),
              path.c_str(), scenario_string(r.scenario).c_str());
  std::fputs(format_timeline(r).c_str(), stdout);
  std::fputs("\n", stdout);
  std::fputs(format_report(r).c_str(), stdout);
  return 1;
}

void print_known(const std::map<std::string, std::uint64_t>& known, const char* unit) {
  for (const auto& [name, n] : known)
    std::printf("  known mainline finding counted apart: %s (%llu %s)\n", name.c_str(),
                static_cast<unsigned long long>(n), unit);
}
}  // namespace

int run_check(const CheckOptions& o) {
  const RunConfig& cfg = o.cfg;
  std::printf("check %s (base %s, %s): random + PCT for %.0f s, DFS bound %d on 2 and 3 tasks%s\n", cfg.variant->name,
              cfg.variant->base ? cfg.variant->base : "-", cfg.variant->commit, o.seconds, o.bound,
              cfg.variant->scenario ? " and the variant's scenario" : "");
  std::fflush(stdout);
  CampaignResult rnd = campaign(SchedulerKind::random, cfg, o.seed, o.seconds / 2, UINT64_MAX, o.pct_depth);
  std::printf("random: %llu runs in %.1f s\n", static_cast<unsigned long long>(rnd.runs), rnd.seconds);
  print_known(rnd.known, "runs");
  if (rnd.found) return report("random schedules", rnd.input, o);
  CampaignResult pct = campaign(SchedulerKind::pct, cfg, o.seed, o.seconds / 2, UINT64_MAX, o.pct_depth);
  std::printf("pct (depth %d): %llu runs in %.1f s\n", o.pct_depth, static_cast<unsigned long long>(pct.runs), pct.seconds);
  print_known(pct.known, "runs");
  if (pct.found) return report("PCT schedules", pct.input, o);

  std::vector<std::string> scenarios = {dfs_scenario_for_tasks(2), dfs_scenario_for_tasks(3)};
  if (cfg.variant->scenario && scenarios.end() == std::find(scenarios.begin(), scenarios.end(), cfg.variant->scenario))
    scenarios.push_back(cfg.variant->scenario);
  std::uint64_t explored = 0;
  bool complete = true;
  for (const auto& text : scenarios) {
    Scenario sc = parse_scenario(text);
    DfsResult d = dfs_explore(sc, cfg, o.bound, o.max_schedules);
    explored += d.schedules;
    std::printf("dfs %s: %llu schedules%s\n", scenario_string(sc).c_str(), static_cast<unsigned long long>(d.schedules),
                d.found ? ", report" : d.complete ? ", all within the bound" : ", stopped (max schedules)");
    std::fflush(stdout);
    print_known(d.known, "schedules");
    if (d.found) return report("DFS", d.input, o);
    complete = complete && d.complete;
  }
  std::printf("\nno report: %llu random runs, %llu PCT runs, DFS bound %d explored %llu schedules%s\n",
              static_cast<unsigned long long>(rnd.runs), static_cast<unsigned long long>(pct.runs), o.bound,
              static_cast<unsigned long long>(explored), complete ? "" : " (not all: a DFS hit --max-schedules)");
  return complete ? 0 : 2;
}
}  // namespace pcirig::tools
