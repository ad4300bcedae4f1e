#include "campaign/bench_nightly.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "campaign/ledger.hpp"
#include "campaign/usage_sampler.hpp"
#include "triage/known_reports.hpp"
#include "util/line_log.hpp"
#include "util/median.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

using json = nlohmann::json;

json read_json(const fs::path& p) {
  json j = json::parse(read_file_text(p), nullptr, false);
  return j.is_object() ? j : json::object();
}

// A run's journal: the first time of each event the figures need.
struct JournalTimes {
  double workload = -1;      // the workload sent: the storm starts next
  double first_report = -1;  // the kernel's first report line, or the rig's hang report
  double end_cause = -1;
  double run_end = -1;
};

JournalTimes journal_times(const fs::path& file) {
  JournalTimes jt;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    json e = json::parse(line, nullptr, false);
    if (!e.is_object() || !e.contains("t") || !e["t"].is_number()) continue;  // a torn last line
    double t = e["t"].get<double>();
    std::string ev = e.value("ev", "");
    auto first = [&](double& slot) {
      if (slot < 0) slot = t;
    };
    if (ev == "workload") first(jt.workload);
    else if (ev == "kernel_report" || ev == "hang_reported") first(jt.first_report);
    else if (ev == "end_cause") first(jt.end_cause);
    else if (ev == "run_end") first(jt.run_end);
  }
  return jt;
}

double num(const json& j, const char* key, double dflt) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : dflt;
}

json nullable(double v, bool known) { return known ? json(v) : json(nullptr); }

// A target: met when the value is known and within the limit; null when nothing measured it.
json target(std::optional<double> value, double limit, bool below_strict, const std::string& what) {
  json t = {{"limit", limit}, {"what", what}};
  t["value"] = value ? json(*value) : json(nullptr);
  t["met"] = value ? json(below_strict ? *value < limit : *value <= limit) : json(nullptr);
  return t;
}
}  // namespace

std::string kernel_family(const std::string& kernel) {
  fs::path p(kernel);
  std::string name = kernel.ends_with(".json") ? p.parent_path().filename().string() : p.filename().string();
  for (std::string fam : {"regression", "fixed"})
    if (name == fam || name.starts_with(fam + "-") || name.starts_with(fam + "+")) return fam;
  return "";
}

json bench_nightly_figures(const fs::path& dir, int parallel, const BenchNightlyTargets& targets,
                           const KnownReports* known_list) {
  json meta = read_json(dir / "campaign.json");
  auto runs = Ledger::read(dir / "ledger.jsonl");
  std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.start_offset_s < b.start_offset_s; });
  parallel = std::max(1, parallel);

  json out;
  out["campaign_dir"] = dir.string();
  out["campaign"] = meta.value("uid", "");
  out["plan"] = meta.value("plan", "");
  out["seed"] = meta.contains("seed") ? meta["seed"] : json(nullptr);
  out["hours"] = num(meta, "hours", 0);
  out["parallel"] = parallel;

  // Wall time: from the campaign's start (the ledger's offset 0) to the last run's end.
  double wall = 0;
  for (auto& r : runs) wall = std::max(wall, r.end_offset_s);
  double slots = wall * parallel;
  std::map<std::string, int> by_kind, by_result;
  for (auto& r : runs) by_kind[r.kind]++, by_result[r.result]++;
  out["wall_seconds"] = wall;
  out["runs_finished"] = runs.size();
  out["runs_by_kind"] = by_kind;
  out["runs_by_result"] = by_result;
  out["runs_per_hour"] = nullable(wall > 0 ? runs.size() / (wall / 3600) : 0, wall > 0);

  // Where the guest slots' time went. A VM run's boot is everything before its storm:
  // QEMU start to agent ready (ready_seconds: a cold boot, or a restore) and what comes
  // before and after it (the run directory, the snapshot's take, the workload sent), up
  // to the journal's `workload` event; a run whose storm never started is boot all
  // through, and so is a failed restore retried cold (start.retry_of). Its workload is
  // its storm (result.json run_seconds). A model run's is its search. What is left of
  // a run's slot is teardown (QEMU's exit, the crash bundle, ledger, history, reports);
  // slot time with no run at all is idle.
  double boot = 0, ready_total = 0, work = 0, teardown = 0;
  double take_total = 0, restore_total = 0, plug_total = 0;  // parts of ready_seconds
  std::map<std::string, int> modes;
  std::map<std::string, std::vector<double>> ready_by_mode;
  int retried = 0;
  struct Crash {
    std::string title;
    std::set<std::string> cells, kernels;
    std::vector<std::string> run_dirs;
    double first_s = -1;
  };
  std::vector<Crash> crashes;
  std::optional<double> first_regression;
  json first_regression_run = nullptr;
  int fixed_runs = 0, fixed_infra = 0;
  json fixed_reports = json::array(), fixed_known = json::array(), fixed_unexplained = json::array();
  std::set<std::string> fixed_cells, regression_cells;
  for (auto& r : runs) {
    double slot = std::max(0.0, r.end_offset_s - r.start_offset_s);
    double pre = 0, storm = r.seconds, crash_at = r.end_offset_s;
    std::string known_id = r.known;
    if (r.kind == "vm") {
      fs::path rd = dir / r.run_dir;
      json res = read_json(rd / "result.json");
      if (known_id.empty() && known_list && r.crashed()) known_id = known_list->id_for_result(res);
      JournalTimes jt = journal_times(rd / "journal.jsonl");
      storm = num(res, "run_seconds", r.seconds);
      pre = jt.workload >= 0 ? jt.workload : jt.run_end >= 0 ? jt.run_end : slot;
      if (jt.workload < 0) storm = 0;
      double ready = num(res, "ready_seconds", r.boot_seconds);
      const json start = res.contains("start") && res["start"].is_object() ? res["start"] : json::object();
      std::string mode = start.value("mode", "unknown");
      modes[mode]++;
      if (ready > 0) ready_total += ready, ready_by_mode[mode].push_back(ready);
      take_total += std::max(0.0, num(start, "take_seconds", 0));
      restore_total += std::max(0.0, num(start, "restore_seconds", 0));
      plug_total += std::max(0.0, num(start, "plug_seconds", 0));
      if (start.contains("retry_of") && start["retry_of"].is_string()) {
        fs::path failed = start["retry_of"].get<std::string>();
        if (failed.is_relative()) failed = rd.parent_path() / failed;
        JournalTimes ft = journal_times(failed / "journal.jsonl");
        if (ft.run_end > 0) pre += ft.run_end;
        retried++;
      }
      double within = jt.first_report >= 0 ? jt.first_report : jt.end_cause >= 0 ? jt.end_cause : pre + storm;
      crash_at = r.start_offset_s + within;
    }
    pre = std::min(pre, slot), storm = std::clamp(storm, 0.0, slot - pre);
    boot += pre, work += storm, teardown += slot - pre - storm;

    std::string fam = r.kind == "vm" ? kernel_family(r.kernel) : "";
    if (fam == "fixed") {
      fixed_runs++, fixed_cells.insert(r.cell);
      if (r.result == "infra") fixed_infra++;
      if (r.crashed()) {
        json rep = {{"title", r.title}, {"cell", r.cell}, {"run_dir", r.run_dir}, {"known", known_id}};
        fixed_reports.push_back(rep);
        (known_id.empty() ? fixed_unexplained : fixed_known).push_back(rep);
      }
    }
    if (fam == "regression") regression_cells.insert(r.cell);
    if (!r.crashed()) continue;
    auto it = std::find_if(crashes.begin(), crashes.end(), [&](auto& c) { return c.title == r.title; });
    if (it == crashes.end()) {
      crashes.emplace_back();
      crashes.back().title = r.title;
      it = std::prev(crashes.end());
    }
    it->cells.insert(r.cell), it->kernels.insert(r.kernel), it->run_dirs.push_back(r.run_dir);
    if (it->first_s < 0 || crash_at < it->first_s) it->first_s = crash_at;
    if (fam == "regression" && (!first_regression || crash_at < *first_regression)) {
      first_regression = crash_at;
      first_regression_run = {{"title", r.title}, {"cell", r.cell}, {"run_dir", r.run_dir}, {"seconds", crash_at}};
    }
  }
  double idle = std::max(0.0, slots - boot - work - teardown);
  auto share = [&](double s) { return nullable(slots > 0 ? s / slots : 0, slots > 0); };
  out["slot_seconds"] = slots;
  out["boot_seconds"] = boot;
  out["ready_seconds_total"] = ready_total;
  out["ready_parts_seconds"] = {{"snapshot_take", take_total}, {"restore", restore_total}, {"plug_after_start", plug_total}};
  out["workload_seconds"] = work;
  out["teardown_seconds"] = teardown;
  out["idle_seconds"] = idle;
  out["share"] = {{"boot", share(boot)}, {"workload", share(work)}, {"teardown", share(teardown)}, {"idle", share(idle)}};
  json med = json::object();
  for (auto& [m, v] : ready_by_mode) med[m] = median(v);
  out["start_modes"] = modes;
  out["ready_seconds_median_by_mode"] = med;
  out["restores_retried_cold"] = retried;

  // The orchestrator, from the sampler's looks: the intervals during which N guests
  // ran at both ends.
  std::vector<UsageSample> samples;
  {
    std::ifstream in(dir / "bench-usage.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      try {
        samples.push_back(j.get<UsageSample>());
      } catch (const json::exception&) {
      }
    }
  }
  double dt_n = 0, cpu_n = 0, dt_all = 0, cpu_all = 0, rss_n = 0, rss_all = 0;
  for (size_t i = 0; i < samples.size(); i++) {
    const auto& s = samples[i];
    rss_all = std::max(rss_all, s.self_rss_mb + s.helpers_rss_mb);
    if (s.guests >= parallel) rss_n = std::max(rss_n, s.self_rss_mb + s.helpers_rss_mb);
    if (i == 0) continue;
    const auto& p = samples[i - 1];
    double dt = s.t - p.t, cpu = (s.self_cpu_s - p.self_cpu_s) + (s.helpers_cpu_s - p.helpers_cpu_s);
    if (dt <= 0) continue;
    dt_all += dt, cpu_all += cpu;
    if (std::min(p.guests, s.guests) >= parallel) dt_n += dt, cpu_n += cpu;
  }
  std::optional<double> cpu_pct_n;
  if (dt_n > 0) cpu_pct_n = 100 * cpu_n / dt_n;
  out["orchestrator"] = {
      {"counted", "the pcirig process (every thread; getrusage RUSAGE_SELF) and its descendants other than QEMU "
                  "and model runs (/proc), sampled every second"},
      {"samples", samples.size()},
      {"seconds_with_n_guests", dt_n},
      {"cpu_percent_with_n_guests", cpu_pct_n ? json(*cpu_pct_n) : json(nullptr)},
      {"rss_peak_mb_with_n_guests", nullable(rss_n, rss_n > 0)},
      {"cpu_percent_overall", nullable(dt_all > 0 ? 100 * cpu_all / dt_all : 0, dt_all > 0)},
      {"rss_peak_mb_overall", nullable(rss_all, rss_all > 0)}};

  std::sort(crashes.begin(), crashes.end(), [](auto& a, auto& b) { return a.first_s < b.first_s; });
  json cj = json::array();
  for (auto& c : crashes)
    cj.push_back({{"title", c.title}, {"count", c.run_dirs.size()}, {"cells", c.cells}, {"kernels", c.kernels},
                  {"first_seconds", c.first_s}, {"runs", c.run_dirs}});
  out["crashes"] = cj;
  out["regression_cells"] = regression_cells;
  out["first_regression_crash_seconds"] = first_regression ? json(*first_regression) : json(nullptr);
  out["first_regression_crash"] = first_regression_run;
  out["fixed"] = {{"cells", fixed_cells}, {"runs", fixed_runs}, {"infra", fixed_infra}, {"reports", fixed_reports.size()},
                  {"report_runs", fixed_reports}, {"known_reports", fixed_known.size()}, {"known_report_runs", fixed_known},
                  {"unexplained_reports", fixed_unexplained.size()}, {"unexplained_report_runs", fixed_unexplained}};

  std::optional<double> boot_share;
  if (slots > 0) boot_share = boot / slots;
  // No regression cell ran: nothing to time. One ran and never crashed: missed.
  std::optional<double> regression_s = first_regression;
  json t = {
      {"boot_share", target(boot_share, targets.boot_share, true, "share of the guest slots' time spent booting, under")},
      {"orchestrator_cpu_percent",
       target(cpu_pct_n, targets.orchestrator_cpu_percent, true,
              fmt::format("orchestrator CPU, % of one core while {} guests ran, under", parallel))},
      {"first_regression_crash_seconds",
       target(regression_s, targets.regression_crash_s, false, "first regression-kernel crash from campaign start, within")},
      {"fixed_reports", target(fixed_runs ? std::optional<double>(double(fixed_unexplained.size())) : std::nullopt,
                               targets.fixed_reports, false,
                               "unexplained reports on fixed-kernel cells (known kernel bugs listed in "
                               "corpora/known-reports.yaml excluded), at most")}};
  if (!regression_cells.empty() && !first_regression) t["first_regression_crash_seconds"]["met"] = false;
  bool all = true, known = true;
  for (auto& [k, v] : t.items()) {
    if (v["met"].is_null()) known = false;
    else all = all && v["met"].get<bool>();
  }
  out["targets"] = t;
  out["targets_met"] = !all ? json(false) : known ? json(true) : json(nullptr);
  return out;
}
}  // namespace pcirig
