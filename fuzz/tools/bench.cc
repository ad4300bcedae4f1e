// `pcirig-model bench`: every variant under random, PCT and DFS, N trials
// each with a time cap; writes the JSON rows and prints a table. Rows from
// other sources (libFuzzer trials run by fuzz/scripts/bench.sh) are merged
// in with --merge so one file and one table hold everything.
#include "tools/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"
#include "tools/speed.h"
#include "util/median.hpp"

using namespace pcirig::model;
using json = nlohmann::json;

namespace pcirig::tools {
namespace {

const char* k3 = "reset:0,reset:0;config_read:0;config_read:0,perf_read:0:1";

json row(const std::string& variant, const std::string& sched, int trials, const std::vector<double>& secs,
         const std::vector<double>& schedules, double total_runs, double total_secs, const std::string& kind,
         const std::string& title, const std::string& note) {
  json r;
  r["variant"] = variant;
  r["scheduler"] = sched;
  r["trials"] = trials;
  r["found"] = static_cast<int>(secs.size());
  r["median_seconds"] = secs.empty() ? json(nullptr) : json(median(secs));
  r["max_seconds"] = secs.empty() ? json(nullptr) : json(*std::max_element(secs.begin(), secs.end()));
  r["median_schedules"] = schedules.empty() ? json(nullptr) : json(median(schedules));
  r["execs_per_second"] = total_secs > 0 ? total_runs / total_secs : 0.0;
  r["kind"] = kind;
  r["title"] = title;
  if (!note.empty()) r["note"] = note;
  return r;
}

}  // namespace

int run_bench(const BenchOptions& o) {
  json out;
  out["results"] = json::array();
  std::vector<const Variant*> vs;
  for (auto* v : all_variants())
    if (o.variants.empty() || std::find(o.variants.begin(), o.variants.end(), v->name) != o.variants.end())
      vs.push_back(v);
  if (vs.empty()) {
    std::fprintf(stderr, "bench: no such variant\n");
    return 2;
  }
  for (auto* v : vs) {
    RunConfig cfg;
    cfg.variant = v;
    cfg.skip_known = true;  // an era's own bug is timed, not mainline's known findings (noted per row)
    for (const std::string& s : o.schedulers) {
      std::vector<double> secs, scheds;
      double total_runs = 0, total_secs = 0;
      std::string kind, title, note;
      std::uint64_t known = 0;  // runs or schedules that hit a known finding
      if (s == "dfs") {
        // Deterministic: one exploration of the 3-task scenario, bound 2.
        auto t0 = std::chrono::steady_clock::now();
        DfsResult d = dfs_explore(parse_scenario(v->scenario ? v->scenario : k3), cfg, o.dfs_bound, 50000000);
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        total_runs = static_cast<double>(d.schedules);
        total_secs = el;
        for (const auto& [name, n] : d.known) known += n;
        if (d.found) {
          secs.push_back(el);
          scheds.push_back(static_cast<double>(d.schedules));
          kind = kind_name(d.first.report.kind);
          title = d.first.report.title;
        } else {
          note = d.complete ? "no report within bound " + std::to_string(o.dfs_bound) + ": " +
                                  std::to_string(d.schedules) + " schedules explored"
                            : "incomplete";
        note += std::string(" (") + (v->scenario ? v->scenario : k3) + ")";
        }
        if (known) note += "; " + std::to_string(known) + " known findings skipped";
        out["results"].push_back(row(v->name, "dfs", 1, secs, scheds, total_runs, total_secs, kind, title, note));
      } else if (s == "random" || s == "pct") {
        auto kindsel = s == "random" ? SchedulerKind::random : SchedulerKind::pct;
        for (int t = 0; t < o.trials; ++t) {
          std::uint64_t seed = o.seed + static_cast<std::uint64_t>(t) * 1000003ull;
          CampaignResult c = campaign(kindsel, cfg, seed, o.time_cap, ~0ull, o.pct_depth);
          total_runs += static_cast<double>(c.runs);
          total_secs += c.seconds;
          for (const auto& [name, n] : c.known) known += n;
          if (c.found) {
            secs.push_back(c.seconds);
            scheds.push_back(static_cast<double>(c.runs));
            if (kind.empty()) {
              kind = kind_name(c.first.report.kind);
              title = c.first.report.title;
            }
          }
        }
        if (s == "pct") note = "depth " + std::to_string(o.pct_depth);
        if (known) note += (note.empty() ? "" : "; ") + std::to_string(known) + " known findings skipped";
        out["results"].push_back(row(v->name, s, o.trials, secs, scheds, total_runs, total_secs, kind, title, note));
      } else {
        std::fprintf(stderr, "bench: unknown scheduler '%s' (random, pct, dfs)\n", s.c_str());
        return 2;
      }
      std::fprintf(stderr, "bench: %s/%s done\n", v->name, s.c_str());
    }
  }
  // Per-trial lines from fuzz/scripts/bench.sh (libFuzzer), aggregated here.
  for (const std::string& tf : o.trial_files) {
    std::ifstream f(tf);
    if (!f) {
      std::fprintf(stderr, "bench: cannot read %s\n", tf.c_str());
      return 2;
    }
    struct Agg {
      int trials = 0;
      std::vector<double> secs, scheds;
      double runs = 0, total = 0;
      std::string kind, title;
    };
    std::vector<std::pair<std::string, Agg>> aggs;  // key "variant\tscheduler", first-seen order
    std::string line;
    int lineno = 0;
    while (std::getline(f, line)) {
      ++lineno;
      std::vector<std::string> c;
      std::size_t p = 0;
      for (int i = 0; i < 6; ++i) {
        auto q = line.find('\t', p);
        if (q == std::string::npos) break;
        c.push_back(line.substr(p, q - p));
        p = q + 1;
      }
      c.push_back(line.substr(p));
      if (c.size() != 7) {
        std::fprintf(stderr, "bench: %s:%d: expected 7 tab-separated fields\n", tf.c_str(), lineno);
        return 2;
      }
      std::string key = c[0] + "\t" + c[1];
      auto it = std::find_if(aggs.begin(), aggs.end(), [&](auto& x) { return x.first == key; });
      if (it == aggs.end()) {
        aggs.push_back({key, Agg{}});
        it = std::prev(aggs.end());
      }
      Agg& a = it->second;
      double sec = std::stod(c[3]), execs = std::stod(c[4]);
      ++a.trials;
      a.runs += execs;
      a.total += sec;
      if (c[2] == "1") {
        a.secs.push_back(sec);
        a.scheds.push_back(execs);
        if (a.kind.empty()) {
          a.kind = c[5];
          a.title = c[6];
        }
      }
    }
    for (auto& [key, a] : aggs) {
      auto tab = key.find('\t');
      out["results"].push_back(row(key.substr(0, tab), key.substr(tab + 1), a.trials, a.secs, a.scheds, a.runs,
                                   a.total, a.kind, a.title, ""));
    }
  }
  for (const std::string& m : o.merge) {
    std::ifstream f(m);
    if (!f) {
      std::fprintf(stderr, "bench: cannot read %s\n", m.c_str());
      return 2;
    }
    json j;
    try {
      j = json::parse(f);
    } catch (const json::exception& e) {
      std::fprintf(stderr, "bench: %s: %s\n", m.c_str(), e.what());
      return 2;
    }
    for (auto& r : j["results"]) out["results"].push_back(r);
  }

  // Ratios of schedules-to-detect: libFuzzer against PCT and random.
  json ratios = json::array();
  for (auto* v : vs) {
    auto find = [&](const char* sched) -> const json* {
      for (auto& r : out["results"])
        if (r["variant"] == v->name && r["scheduler"] == sched && !r["median_schedules"].is_null()) return &r;
      return nullptr;
    };
    const json* lf = find("libfuzzer");
    for (const char* other : {"pct", "random"}) {
      const json* ot = find(other);
      if (lf && ot)
        ratios.push_back({{"variant", v->name},
                          {"libfuzzer_vs", other},
                          {"ratio", (*lf)["median_schedules"].get<double>() / (*ot)["median_schedules"].get<double>()}});
    }
  }
  out["schedules_to_detect_ratio"] = ratios;
  if (!o.speed_file.empty()) {
    std::string err;
    out["speed"] = speed_from_turns(o.speed_file, err);
    if (!err.empty()) {
      std::fprintf(stderr, "bench: %s\n", err.c_str());
      return 2;
    }
  }

  std::ofstream f(o.json);
  f << out.dump(2) << "\n";
  if (!f) {
    std::fprintf(stderr, "bench: cannot write %s\n", o.json.c_str());
    return 2;
  }

  std::printf("%-9s %-10s %6s %5s %10s %10s %12s %10s  %s\n", "variant", "scheduler", "trials", "found", "median_s",
              "max_s", "median_sched", "execs/s", "kind: title");
  for (auto& r : out["results"]) {
    auto num = [](const json& x, const char* fmt) {
      char b[32];
      if (x.is_null()) return std::string("-");
      std::snprintf(b, sizeof b, fmt, x.get<double>());
      return std::string(b);
    };
    std::string kt = r["kind"].get<std::string>().empty() ? (r.contains("note") ? r["note"].get<std::string>() : "")
                                                          : r["kind"].get<std::string>() + ": " + r["title"].get<std::string>();
    std::printf("%-9s %-10s %6d %5d %10s %10s %12s %10.0f  %s\n", r["variant"].get<std::string>().c_str(),
                r["scheduler"].get<std::string>().c_str(), r["trials"].get<int>(), r["found"].get<int>(),
                num(r["median_seconds"], "%.4f").c_str(), num(r["max_seconds"], "%.4f").c_str(),
                num(r["median_schedules"], "%.0f").c_str(), r["execs_per_second"].get<double>(), kt.c_str());
  }
  for (auto& x : ratios)
    std::printf("ratio %s: libFuzzer/%s schedules-to-detect = %.2f\n", x["variant"].get<std::string>().c_str(),
                x["libfuzzer_vs"].get<std::string>().c_str(), x["ratio"].get<double>());
  if (out.contains("speed")) print_speed(out["speed"]);
  std::printf("wrote %s\n", o.json.c_str());
  return 0;
}

}  // namespace pcirig::tools
