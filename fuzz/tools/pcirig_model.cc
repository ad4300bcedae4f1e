// pcirig-model: the model's g++ tools (repro, trace, random, pct, dfs,
// check, bench, list-variants). See docs/model.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "pcirig/model/findings.h"
#include "pcirig/model/input_file.h"
#include "pcirig/model/run.h"
#include "pcirig/model/schedulers.h"
#include "tools/bench.h"
#include "tools/check.h"
#include "tools/seed_corpus.h"

using namespace pcirig::model;

namespace {

struct Common {
  std::string variant;
  bool kcsan = false;
  bool lockless = false;
  unsigned long long max_steps = 3000;
  bool access_only = false;
  bool skip_known = false;
};

void add_common(CLI::App* app, Common& c, bool variant_required) {
  auto* v = app->add_option("--variant,-v", c.variant, "variant name (list-variants)");
  if (variant_required) v->required();
  app->add_flag("--kcsan", c.kcsan, "enable the KCSAN-style data-race oracle");
  app->add_flag("--lockless-config", c.lockless, "CONFIG_PCI_LOCKLESS_CONFIG: kernel reads skip pci_lock");
  app->add_option("--max-steps", c.max_steps, "scheduling points per run");
  app->add_flag("--access-only", c.access_only, "campaigns draw only the access.c scenarios (no topology calls)");
  app->add_flag("--skip-known", c.skip_known, "searches count mainline's known findings apart and go on (findings)");
}

// One line per known finding a search skipped: name, count.
void print_known(const std::map<std::string, std::uint64_t>& known, const char* unit) {
  for (const auto& [name, n] : known)
    std::printf("known finding skipped: %s (%llu %s)\n", name.c_str(), static_cast<unsigned long long>(n), unit);
}

RunConfig make_config(const Common& c) {
  RunConfig cfg;
  cfg.variant = find_variant(c.variant);
  if (!cfg.variant) {
    std::string known;
    for (auto* v : all_variants()) known += std::string(" ") + v->name;
    throw CLI::ValidationError("--variant", "unknown variant '" + c.variant + "'; known:" + known);
  }
  cfg.oracles.kcsan = c.kcsan;
  cfg.lockless_config = c.lockless;
  cfg.max_steps = c.max_steps;
  cfg.topology = !c.access_only;
  cfg.skip_known = c.skip_known;
  return cfg;
}

void print_run(const RunResult& r, const RunConfig& cfg) {
  std::printf("variant: %s (%s)\nscenario: %s\nschedule: %zu decisions, %llu steps\n\n", cfg.variant->name,
              cfg.variant->commit, scenario_string(r.scenario).c_str(), r.choices.size(),
              static_cast<unsigned long long>(r.steps));
  std::fputs(format_timeline(r).c_str(), stdout);
  std::fputs("\n", stdout);
  std::fputs(format_report(r).c_str(), stdout);
}

SavedInput saved_from(const RunResult& r, const RunConfig& cfg, std::vector<std::uint8_t> bytes) {
  SavedInput s;
  s.has_header = true;
  s.variant = cfg.variant->name;
  if (r.has_report) {
    s.kind = kind_name(r.report.kind);
    s.title = r.report.title;
  }
  s.scenario = scenario_string(r.scenario);
  s.kcsan = cfg.oracles.kcsan;
  s.lockless = cfg.lockless_config;
  s.skip_known = cfg.skip_known;
  s.bytes = std::move(bytes);
  return s;
}

std::vector<std::uint8_t> parse_hex(const std::string& h) {
  std::vector<std::uint8_t> out;
  if (h.size() % 2) throw CLI::ValidationError("--bytes", "odd number of hex digits");
  for (std::size_t i = 0; i < h.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string default_dfs_scenario(int tasks) {
  if (tasks < 2 || tasks > 4) throw CLI::ValidationError("--tasks", "DFS default scenarios exist for 2..4 tasks; give --scenario");
  return pcirig::tools::dfs_scenario_for_tasks(tasks);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pcirig-model: the PCI config-access locking model (repro, schedulers, bench)"};
  app.require_subcommand(1);

  bool list_functions = false;
  auto* list = app.add_subcommand("list-variants", "list the variants, their base era and what they are expected to show");
  auto* findings = app.add_subcommand("list-findings", "mainline's known findings: what --skip-known counts apart");
  list->add_flag("--functions", list_functions, "also list the kernel functions each variant replaces");

  Common rc;
  std::string repro_file, repro_out;
  bool minimize = false, quiet = false;
  auto* repro = app.add_subcommand("repro", "replay a saved input; exit 1 on a report, 0 on none");
  repro->add_option("file", repro_file, "saved input (pcirig-model text file or raw libFuzzer bytes)")->required()->check(CLI::ExistingFile);
  repro->add_flag("--minimize", minimize, "shrink the input first (writes FILE.min unless -o)");
  repro->add_option("-o,--output", repro_out, "where --minimize writes");
  repro->add_flag("--quiet,-q", quiet, "print only the title line");
  add_common(repro, rc, false);

  Common tc;
  std::string trace_scen, trace_bytes, trace_save;
  auto* trace = app.add_subcommand("trace", "run a scenario given as text with a given schedule");
  trace->add_option("--scenario,-s", trace_scen, "e.g. 'reset:0;config_read:0'")->required();
  trace->add_option("--choices", trace_bytes, "decision bytes in hex (default: none, non-preemptive)");
  trace->add_option("--save", trace_save, "write the run as a saved input");
  add_common(trace, tc, true);

  Common sc_;
  unsigned long long seed = 1, runs = 1000000;
  double time_cap = 60;
  int depth = 5;
  std::string save;
  auto* rnd = app.add_subcommand("random", "random scenarios, uniform random schedules");
  auto* pct = app.add_subcommand("pct", "random scenarios, PCT schedules (depth d)");
  for (auto* s : {rnd, pct}) {
    add_common(s, sc_, true);
    s->add_option("--seed", seed, "first seed (run i uses seed+i)");
    s->add_option("--runs", runs, "at most this many runs");
    s->add_option("--time", time_cap, "seconds");
    s->add_option("--save", save, "write the first report's input here");
  }
  pct->add_option("--depth,-d", depth, "PCT bug depth");

  Common dc;
  int tasks = 3, bound = 2;
  unsigned long long max_sched = 50000000;
  std::string dfs_scen, dfs_save;
  auto* dfs = app.add_subcommand("dfs", "exhaustive DFS over one scenario's schedules with a preemption bound");
  add_common(dfs, dc, true);
  dfs->add_option("--tasks", tasks, "use the access.c scenario with this many tasks (2..4) instead of the variant's");
  dfs->add_option("--scenario,-s", dfs_scen, "or give the scenario");
  dfs->add_option("--bound,-k", bound, "preemption bound");
  dfs->add_option("--max-schedules", max_sched, "give up after this many");
  dfs->add_option("--save", dfs_save, "write the first report's input here");

  Common cc;
  pcirig::tools::CheckOptions co;
  auto* check = app.add_subcommand("check", "one verdict on a variant: random + PCT for --time, DFS to --bound on 2 and 3 tasks");
  add_common(check, cc, true);
  std::string check_time = "60";
  check->add_option("--time", check_time, "random + PCT time, half each (60, 30s, 5m)")->capture_default_str();
  check->add_option("--bound,-k", co.bound, "DFS preemption bound")->capture_default_str();
  check->add_option("--seed", co.seed, "first seed of the random and PCT runs")->capture_default_str();
  check->add_option("--max-schedules", co.max_schedules, "per DFS scenario; beyond it the verdict says incomplete")->capture_default_str();
  check->add_option("--save", co.save, "where a report's minimised input goes (default: check-VARIANT.pcirig)");

  std::string seeds_out;
  auto* seeds = app.add_subcommand("seed-corpus", "write generic scenario-only seed inputs (no schedule bytes)");
  seeds->add_option("--out", seeds_out, "directory")->required();

  pcirig::tools::BenchOptions bo;
  auto* bench = app.add_subcommand("bench", "each variant under random, PCT and DFS; JSON + table");
  bench->add_option("--json", bo.json, "output file")->required();
  bench->add_option("--trials", bo.trials, "trials per variant and scheduler");
  bench->add_option("--time-cap", bo.time_cap, "seconds per trial");
  bench->add_option("--variant", bo.variants, "only these variants");
  bench->add_option("--schedulers", bo.schedulers, "subset of random,pct,dfs")->delimiter(',');
  bench->add_option("--merge", bo.merge, "JSON files whose rows are added (libFuzzer rows from bench.sh)");
  bench->add_option("--seed", bo.seed, "base seed");
  bench->add_option("--trial-file", bo.trial_files, "TSV trials to aggregate (written by fuzz/scripts/bench.sh)");
  bench->add_option("--speed-file", bo.speed_file, "TSV libFuzzer/random speed turns (written by fuzz/scripts/bench.sh)");
  bench->add_option("--pct-depth", bo.pct_depth, "PCT bug depth");

  try {
    app.parse(argc, argv);
    if (*list) {
      for (auto* v : all_variants()) {
        std::printf("%-12s base %-9s %-28s %-45s expect %-32s %s\n", v->name, v->base ? v->base : "-", v->commit,
                    v->kernels, v->expected, v->summary);
        if (list_functions)
          for (const char* fn : own_functions(*v)) std::printf("    %s\n", fn);
      }
      return 0;
    }
    if (*findings) {
      for (const Finding& f : known_findings()) std::printf("%-28s %s\n", f.name, f.summary);
      return 0;
    }
    if (*repro) {
      SavedInput in = read_input_file(repro_file);
      if (rc.variant.empty()) rc.variant = in.variant;
      if (rc.variant.empty()) {
        const char* env = std::getenv("PCIRIG_VARIANT");
        if (env) rc.variant = env;
      }
      if (rc.variant.empty()) throw CLI::ValidationError("--variant", "raw input: give --variant or PCIRIG_VARIANT");
      rc.kcsan = rc.kcsan || in.kcsan;
      rc.lockless = rc.lockless || in.lockless;
      rc.skip_known = rc.skip_known || in.skip_known;
      RunConfig cfg = make_config(rc);
      std::vector<std::uint8_t> bytes = in.bytes;
      if (minimize) {
        std::size_t before = bytes.size();
        bytes = minimize_input(bytes, cfg);
        RunResult m = run_bytes(bytes, cfg);
        std::string out = repro_out.empty() ? repro_file + ".min" : repro_out;
        write_input_file(out, saved_from(m, cfg, bytes));
        std::printf("minimized %zu -> %zu bytes: %s\n\n", before, bytes.size(), out.c_str());
      }
      RunResult r = run_bytes(bytes, cfg);
      if (quiet) {
        std::printf("%s\n", r.has_report ? (std::string(kind_name(r.report.kind)) + ": " + r.report.title).c_str() : "no report");
      } else {
        print_run(r, cfg);
        if (in.has_header && !in.title.empty() && r.has_report && r.report.title != in.title)
          std::printf("\nnote: the file expected '%s'\n", in.title.c_str());
        if (const Finding* f = r.has_report ? known_finding(r.report) : nullptr)
          std::printf("\nknown finding: %s: %s (docs/model.md)\n", f->name, f->summary);
      }
      return r.has_report ? 1 : 0;
    }
    if (*trace) {
      RunConfig cfg = make_config(tc);
      Scenario s = parse_scenario(trace_scen);
      std::vector<std::uint8_t> bytes = encode_scenario(s);
      auto ch = parse_hex(trace_bytes);
      bytes.insert(bytes.end(), ch.begin(), ch.end());
      RunResult r = run_bytes(bytes, cfg);
      print_run(r, cfg);
      if (!trace_save.empty()) write_input_file(trace_save, saved_from(r, cfg, to_bytes(r)));
      return r.has_report ? 1 : 0;
    }
    if (*rnd || *pct) {
      RunConfig cfg = make_config(sc_);
      auto kind = *rnd ? SchedulerKind::random : SchedulerKind::pct;
      CampaignResult c = campaign(kind, cfg, seed, time_cap, runs, depth);
      std::printf("%s on %s, seed %llu: %llu runs in %.2f s (%.0f runs/s, %.1f steps/run)\n", scheduler_name(kind),
                  cfg.variant->name, seed, static_cast<unsigned long long>(c.runs), c.seconds,
                  c.runs / (c.seconds > 0 ? c.seconds : 1e-9), c.runs ? double(c.steps) / c.runs : 0.0);
      print_known(c.known, "runs");
      if (!c.found) {
        std::printf("no report\n");
        return 0;
      }
      std::printf("report after %llu runs: %s: %s\n", static_cast<unsigned long long>(c.runs), kind_name(c.first.report.kind),
                  c.first.report.title.c_str());
      if (!save.empty()) {
        write_input_file(save, saved_from(c.first, cfg, c.input));
        std::printf("saved: %s (replay: pcirig-model repro %s)\n", save.c_str(), save.c_str());
      }
      return 1;
    }
    if (*dfs) {
      RunConfig cfg = make_config(dc);
      std::string text = dfs_scen;
      if (text.empty()) text = dfs->count("--tasks") || !cfg.variant->scenario ? default_dfs_scenario(tasks) : cfg.variant->scenario;
      Scenario s = parse_scenario(text);
      std::printf("dfs on %s, scenario %s, preemption bound %d\n", cfg.variant->name, scenario_string(s).c_str(), bound);
      std::fflush(stdout);
      DfsResult d = dfs_explore(s, cfg, bound, max_sched);
      print_known(d.known, "schedules");
      if (d.found) {
        std::printf("report after %llu schedules: %s: %s\n", static_cast<unsigned long long>(d.schedules),
                    kind_name(d.first.report.kind), d.first.report.title.c_str());
        if (!dfs_save.empty()) write_input_file(dfs_save, saved_from(d.first, cfg, d.input));
        return 1;
      }
      if (!d.complete) {
        std::printf("incomplete: stopped after %llu schedules (--max-schedules)\n", static_cast<unsigned long long>(d.schedules));
        return 2;
      }
      std::printf("no report within bound %d: %llu schedules explored\n", bound, static_cast<unsigned long long>(d.schedules));
      return 0;
    }
    if (*bench) return pcirig::tools::run_bench(bo);
    if (*check) {
      co.cfg = make_config(cc);
      std::size_t used = 0;
      double t = std::stod(check_time, &used);
      std::string unit = check_time.substr(used);
      if (unit == "m") t *= 60;
      else if (unit == "h") t *= 3600;
      else if (!unit.empty() && unit != "s") throw CLI::ValidationError("--time", "'" + check_time + "': seconds, or 30s, 5m, 1h");
      if (!(t > 0)) throw CLI::ValidationError("--time", "'" + check_time + "' must be positive");
      co.seconds = t;
      return pcirig::tools::run_check(co);
    }
    if (*seeds) {
      std::filesystem::create_directories(seeds_out);
      int n = 0;
      for (const auto& b : pcirig::tools::generic_seed_inputs()) {
        char name[32];
        std::snprintf(name, sizeof name, "seed-%04d", n++);
        std::ofstream(std::filesystem::path(seeds_out) / name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
      }
      std::printf("%d seeds in %s\n", n, seeds_out.c_str());
      return 0;
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pcirig-model: %s\n", e.what());
    return 2;
  }
  return 0;
}
