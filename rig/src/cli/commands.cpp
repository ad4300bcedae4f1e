#include "cli/commands.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bench/control_bench.hpp"
#include "bench/rig_bench.hpp"
#include "campaign/bench_nightly_run.hpp"
#include "campaign/campaign.hpp"
#include "campaign/merge.hpp"
#include "campaign/plan.hpp"
#include "campaign/time_budget.hpp"
#include "compare/compare_command.hpp"
#include "config/topology.hpp"
#include "hang/hang_bench.hpp"
#include "history/history_db.hpp"
#include "history/history_text.hpp"
#include "hotplug/injector.hpp"
#include "images/kernel_image.hpp"
#include "repro/bench_repro.hpp"
#include "repro/bundle.hpp"
#include "repro/repro_command.hpp"
#include "session/run_summary.hpp"
#include "session/session.hpp"
#include "util/duration.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

Topology load_config(const std::string& config) {
  return config.empty() ? load_default_topology() : load_topology_file(resolve_topology(config));
}

fs::path default_runs_dir() { return repo_root() / "runs"; }

struct Common {
  std::string config, duration, kernel = "debian", accel, runs_dir, hotplug;
  std::optional<uint64_t> seed;
  bool check_only = false;
};

void add_common(CLI::App* c, Common& o) {
  c->add_option("--config", o.config, "topology YAML (a path, or a name under rig/configs/); default: the embedded default.yaml");
  c->add_option("--duration", o.duration, "run length, e.g. 30s, 10m (overrides the YAML)");
  c->add_option("--seed", o.seed, "seed for every random choice (default: the YAML's, else random and recorded)");
  c->add_option("--kernel", o.kernel, "kernel image name in $PCIRIG_CACHE/images/ or a path to image.json")->capture_default_str();
  c->add_option("--accel", o.accel, "auto | kvm | tcg (overrides the YAML)")->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  c->add_option("--runs-dir", o.runs_dir, "where run directories go (default: <repo>/runs)");
  c->add_option("--hotplug", o.hotplug, "none | acpi | native: hot-plug churn on the config's slots (overrides the YAML)")
      ->check(CLI::IsMember({"none", "acpi", "native"}));
}

void add_check_only(CLI::App* c, Common& o) {
  c->add_flag("--check-only", o.check_only, "check the config and options, then stop: no image, no QEMU (run.sh does this first)");
}

// --hotplug none|acpi|native over the config's hotplug section ("" leaves it).
void apply_hotplug_option(Topology& t, const std::string& hotplug) {
  if (hotplug.empty()) return;
  t.hotplug.enabled = hotplug != "none";
  if (!t.hotplug.enabled) return;
  if (t.hotplug.slots.empty() || t.hotplug.kinds.empty())
    throw std::runtime_error(fmt::format("--hotplug {}: {} has no hotplug.slots and hotplug.kinds to churn", hotplug, t.source));
  t.hotplug.flavour = hotplug;
}

// The topology a run uses: the config with the command line's overrides.
Topology configured_topology(const Common& c) {
  Topology t = load_config(c.config);
  if (!c.duration.empty()) {
    auto d = parse_duration_seconds(c.duration);
    if (!d || *d <= 0) throw std::runtime_error(fmt::format("--duration '{}': not a duration like 30s, 10m", c.duration));
    t.duration_s = *d;
  }
  if (c.seed) t.seed = *c.seed;
  apply_hotplug_option(t, c.hotplug);
  return t;
}

// --check-only: everything a run checks before it needs a kernel image.
int cmd_check(const Common& c) {
  Topology t = configured_topology(c);
  fmt::print("pcirig: {}: config ok\n", t.source);
  return 0;
}

SessionOptions make_options(const Common& c) {
  SessionOptions o;
  o.topo = configured_topology(c);
  o.accel = c.accel;
  o.runs_dir = c.runs_dir.empty() ? default_runs_dir() : fs::path(c.runs_dir);
  o.image = find_kernel_image(c.kernel, true);
  o.status_line = isatty(STDERR_FILENO);
  return o;
}

int cmd_stress(const Common& c, bool bundle_with_kernel) {
  if (c.check_only) return cmd_check(c);
  SessionOptions o = make_options(c);
  auto out = run_session(o);
  print_run_summary(out);
  leave_crash_bundle(out.run_dir, out.result, bundle_with_kernel);
  return out.exit_code;
}

int cmd_history(const std::string& db, bool json) {
  fs::path path = db.empty() ? default_history_path() : fs::path(db);
  if (!fs::exists(path)) throw std::runtime_error(fmt::format("{}: no history yet (a nightly campaign writes it)", path.string()));
  HistoryDb h(path);
  auto titles = h.titles();
  if (json)
    fmt::print("{}\n", history_json(titles).dump(2));
  else
    fmt::print("{}", format_history(titles));
  return 0;
}

// A bench's figures: printed, and written to --json when given.
void emit_json(const nlohmann::json& j, const std::string& json_out) {
  std::string text = j.dump(2) + "\n";
  fmt::print("{}", text);
  if (!json_out.empty() && write_file(json_out, text) != 0) throw std::runtime_error("cannot write " + json_out);
}

int cmd_bench_rig(const Common& c, const std::string& json_out, int boots) {
  if (c.check_only) return cmd_check(c);
  RigBenchOptions o;
  o.base = make_options(c);
  if (c.duration.empty()) o.base.topo.duration_s = 60;
  o.boots = boots;
  emit_json(bench_rig(o), json_out);
  return 0;
}

int cmd_bench_control(Common c, const std::string& json_out, int runs, double fixed_seconds, double crash_limit) {
  if (c.config.empty()) c.config = "reset-heavy";
  if (c.check_only) return cmd_check(c);
  ControlBenchOptions o;
  o.runs = runs, o.fixed_seconds = fixed_seconds, o.crash_limit = crash_limit, o.seed = c.seed;
  o.session = [&c](const std::string& kernel, std::optional<uint64_t> seed) {
    Common one = c;
    one.kernel = kernel;
    one.seed = seed;
    return make_options(one);
  };
  nlohmann::json j = bench_control(o);
  // What the figures were measured on, so two bench files can be compared.
  Topology measured = load_config(c.config);
  apply_hotplug_option(measured, c.hotplug);
  j["config"] = measured.source;
  j["hotplug"] = measured.hotplug.enabled ? measured.hotplug.flavour : "none";
  j["seed"] = c.seed ? nlohmann::json(*c.seed) : nlohmann::json(nullptr);
  emit_json(j, json_out);
  return 0;
}

}  // namespace

int cli_main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::info);
  if (const char* v = std::getenv("PCIRIG_DEBUG"); v && *v) spdlog::set_level(spdlog::level::debug);
  CLI::App app{"pcirig: QEMU rig hunting races in PCI config-space locking under hot-plug"};
  app.require_subcommand(1);

  Common stress_o;
  auto* stress = app.add_subcommand("stress", "boot, run the workload and the hot-plug storm, report");
  add_common(stress, stress_o);
  add_check_only(stress, stress_o);

  CampaignOptions night_o;
  std::string night_hours, night_history;
  auto* nightly = app.add_subcommand("nightly", "a campaign over a plan: parallel guests and model runs, history, reports");
  nightly->add_option("--plan", night_o.plan, "plan YAML (default: rig/plans/default.yaml); see docs/plan-format.md");
  nightly->add_option("--hours", night_hours, "repeat the plan's rounds for this long (e.g. 8, 30m; default: one round)");
  nightly->add_option("--parallel", night_o.parallel, "runs at once (default: what the cores and memory allow)");
  nightly->add_option("--resume", night_o.resume, "carry on a campaign directory without repeating its finished runs");
  nightly->add_option("--shard", night_o.shard, "I/N: run only the runs i with i mod N = I-1");
  nightly->add_option("--seed", night_o.seed, "campaign seed (default: the plan's, else random and recorded)");
  nightly->add_option("--accel", night_o.accel, "auto | kvm | tcg (overrides the topologies)")->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  nightly->add_option("--out", night_o.out_dir, "where the campaign directory goes (default: <repo>/runs)");
  nightly->add_option("--history", night_history, "history database (default: <repo>/runs/history.sqlite)");
  nightly->add_option("--campaign-id", night_o.campaign_id, "the history's key for this campaign (shards share one)");
  nightly->add_option("--kernel", night_o.kernels,
                      "run the plan's vm cells on this kernel instead of its vm.kernels (repeatable): a name, an image.json, "
                      "a built tree or a vmlinux/bzImage");
  nightly->add_flag("--explain", night_o.explain, "print the matrix and what each cell exercises, then stop");
  std::vector<std::string> merge_dirs;
  std::string merge_out;
  auto* merge = nightly->add_subcommand("merge", "fold shards' campaign directories into one report and the history");
  merge->add_option("DIR", merge_dirs, "campaign directories of the shards")->required();
  merge->add_option("--out", merge_out, "the merged campaign directory (default: <repo>/runs/nightly-merged-...)");
  merge->add_option("--history", night_history, "history database (default: <repo>/runs/history.sqlite)");

  std::string hist_db;
  bool hist_json = false;
  auto* history = app.add_subcommand("history", "crash titles over all campaigns: first/last seen, kernels, best reproducer");
  history->add_option("--history", hist_db, "history database (default: <repo>/runs/history.sqlite)");
  history->add_flag("--json", hist_json, "as JSON");

  ReproRequest repro_o;
  std::string repro_dir, repro_runs, repro_limit;
  bool repro_seed_only = false;
  auto* repro = app.add_subcommand("repro", "replay a saved crash N times (a run directory or a crash bundle): rate, times, titles");
  repro->add_option("PATH", repro_dir, "run directory or crash bundle")->required();
  repro->add_option("--attempts", repro_o.options.attempts, "attempts")->capture_default_str()->check(CLI::Range(1, 1000));
  repro->add_option("--time-limit", repro_limit, "give an attempt up after this long (default: 60s, or twice the original's time to crash)");
  repro->add_option("--parallel", repro_o.options.parallel, "attempts at once")->capture_default_str()->check(CLI::Range(1, 64));
  repro->add_option("--json", repro_o.json_out, "write the verdict here as JSON");
  repro->add_option("--accel", repro_o.options.accel, "override the accelerator")->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  repro->add_option("--runs-dir", repro_runs, "where the attempts' runs go (default: <repo>/runs)");
  repro->add_option("--kernel", repro_o.kernel, "replay on this kernel instead of the run's: a name, an image.json, a built tree or a vmlinux/bzImage");
  repro->add_flag("--seed-only", repro_seed_only, "let the seeded PRNG drive the storm instead of the journal");
  repro->add_flag("--minimize", repro_o.minimize, "then shrink the reproducer while the crash comes back at the measured rate; save it beside PATH");
  repro->add_option("--minimize-attempts", repro_o.minimize_attempts, "attempts per minimizing step")->capture_default_str()->check(CLI::Range(1, 100));

  std::string bundle_dir, bundle_out;
  bool bundle_kernel = false, stress_bundle_kernel = false;
  auto* bundle = app.add_subcommand("bundle", "write a run's crash bundle: everything to replay it elsewhere");
  bundle->add_option("RUNDIR", bundle_dir, "run directory")->required();
  bundle->add_option("--out", bundle_out, "the bundle directory (default: RUNDIR/bundle)");
  bundle->add_flag("--with-kernel", bundle_kernel, "carry the kernel image and initramfs too");
  stress->add_flag("--with-kernel", stress_bundle_kernel, "a crash's bundle carries the kernel image and initramfs too");

  Common cmp_common;
  CompareOptions cmp_o;
  std::string cmp_time = "60s";
  auto* compare = app.add_subcommand("compare", "A/B two kernels on the same config and seeds, interleaved: crash rates and a verdict");
  compare->add_option("--base", cmp_o.base, "the kernel without the change: a name, an image.json, a built tree or a vmlinux/bzImage")->required();
  compare->add_option("--candidate", cmp_o.candidate, "the kernel with the change (same forms)")->required();
  compare->add_option("--config", cmp_common.config, "topology YAML (a path, or a name under rig/configs/); default: the embedded default.yaml");
  compare->add_option("--runs", cmp_o.runs, "pairs of runs (base then candidate, same seed)")->capture_default_str()->check(CLI::Range(1, 10000));
  compare->add_option("--time", cmp_time, "each run ends at its first crash or after this long")->capture_default_str();
  compare->add_option("--seed", cmp_common.seed, "pair 0's seed, pair i uses seed+i (default: the YAML's, else random and recorded)");
  compare->add_option("--accel", cmp_o.accel, "auto | kvm | tcg (overrides the YAML)")->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  compare->add_option("--hotplug", cmp_common.hotplug, "none | acpi | native: hot-plug churn on the config's slots (overrides the YAML)")
      ->check(CLI::IsMember({"none", "acpi", "native"}));
  compare->add_option("--runs-dir", cmp_common.runs_dir, "where the compare directory goes (default: <repo>/runs)");
  compare->add_option("--json", cmp_o.json_out, "also write the verdict's JSON here (it is always in <compare dir>/compare.json)");
  add_check_only(compare, cmp_common);

  auto* bench = app.add_subcommand("bench", "benchmarks that print figures");
  bench->require_subcommand(1);
  Common brig_o, bctl_o;
  std::string brig_json, bctl_json;
  int bctl_runs = 5;
  std::string bctl_fixed = "30m", bctl_limit = "10m";
  auto* brig = bench->add_subcommand("rig", "launch-to-ready, plug/unplug latency, cycles/min, guest rates, rig CPU");
  add_common(brig, brig_o);
  add_check_only(brig, brig_o);
  brig->add_option("--json", brig_json, "write the figures here");
  int brig_boots = 5;
  brig->add_option("--boots", brig_boots, "extra boot-only runs for the launch-to-ready median")->capture_default_str();
  auto* bctl = bench->add_subcommand("control", "time to crash on the regression kernel, clean time on fixed");
  add_common(bctl, bctl_o);
  add_check_only(bctl, bctl_o);
  bctl->add_option("--json", bctl_json, "write the figures here");
  bctl->add_option("--runs", bctl_runs, "regression runs")->capture_default_str();
  bctl->add_option("--fixed-time", bctl_fixed, "total time on the fixed kernel")->capture_default_str();
  bctl->add_option("--crash-limit", bctl_limit, "give a regression run up after this long")->capture_default_str();
  HangBenchOptions bhang_o;
  std::string bhang_clean = "0s", bhang_runs_dir;
  auto* bhang = bench->add_subcommand("hang", "the test module's deadlocks: time from forming to the rig's report, cycle named; false hangs on clean runs");
  bhang->add_option("--json", bhang_o.json_out, "write the figures here");
  bhang->add_option("--kernel", bhang_o.deadlock_kernel, "an image carrying the crash test module (guest-images/testmod/image.sh prints it)");
  bhang->add_option("--runs", bhang_o.runs, "runs per deadlock kind (0: clean runs only)")->capture_default_str()->check(CLI::Range(0, 1000));
  bhang->add_option("--kinds", bhang_o.kinds, "deadlock kinds")->capture_default_str();
  bhang->add_option("--seed", bhang_o.seed, "first seed; run i uses seed+i")->capture_default_str();
  bhang->add_option("--clean-time", bhang_clean, "running time per clean (kernel, config), over as many runs as it takes (0s: none)")->capture_default_str();
  bhang->add_option("--clean-kernels", bhang_o.clean_kernels, "kernels of the clean runs")->capture_default_str();
  bhang->add_option("--clean-configs", bhang_o.clean_configs, "configs of the clean runs (rig/configs/)")->capture_default_str();
  bhang->add_option("--runs-dir", bhang_runs_dir, "where run directories go (default: <repo>/runs)");
  std::vector<std::string> bhang_rescore;
  bhang->add_option("--rescore", bhang_rescore, "bench hang JSON files: merged, each clean run's hang classified again (known kernel reports as listed now), nothing run")->check(CLI::ExistingFile);
  Common brep_o;
  brep_o.kernel = "regression";
  BenchReproOptions brep;
  std::string brep_limit = "60s", brep_find = "10m";
  auto* brep_cmd = bench->add_subcommand("repro", "a crash found on the regression kernel through repro: rate, median time to crash, minimized size");
  add_common(brep_cmd, brep_o);
  add_check_only(brep_cmd, brep_o);
  brep_cmd->add_option("--json", brep.json_out, "write the figures here");
  brep_cmd->add_option("--attempts", brep.attempts, "repro attempts")->capture_default_str()->check(CLI::Range(1, 1000));
  brep_cmd->add_option("--time-limit", brep_limit, "each attempt's limit")->capture_default_str();
  brep_cmd->add_option("--find-limit", brep_find, "each run looking for the crash")->capture_default_str();
  brep_cmd->add_option("--find-runs", brep.find_runs, "runs looking for the crash, at most")->capture_default_str()->check(CLI::Range(1, 1000));
  brep_cmd->add_option("--from", brep.from, "start from this crash run or bundle instead of looking for one");
  brep_cmd->add_flag("!--no-minimize", brep.minimize, "skip minimizing");
  brep_cmd->add_option("--minimize-attempts", brep.minimize_attempts, "attempts per minimizing step")->capture_default_str()->check(CLI::Range(1, 100));
  BenchNightlyOptions bnight_o;
  std::string bnight_minutes = "20";
  auto* bnight = bench->add_subcommand("nightly", "a short campaign on the bench plan: runs/hour, boot share, orchestrator CPU and RSS, crashes, the first regression crash");
  bnight->add_option("--json", bnight_o.json_out, "write the figures here");
  bnight->add_option("--minutes", bnight_minutes, "the campaign's length (its --hours): minutes, or a time like 90s")->capture_default_str();
  bnight->add_option("--parallel", bnight_o.parallel, "guests at once")->capture_default_str()->check(CLI::Range(1, 64));
  bnight->add_option("--plan", bnight_o.plan, "plan YAML (default: rig/plans/bench-nightly.yaml)");
  bnight->add_option("--kernel", bnight_o.kernels, "as nightly --kernel: the plan's vm cells run this kernel instead (repeatable)");
  bnight->add_option("--seed", bnight_o.seed, "campaign seed (default: the plan's)");
  bnight->add_option("--accel", bnight_o.accel, "auto | kvm | tcg (overrides the topologies)")->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  bnight->add_option("--out", bnight_o.out_dir, "where the bench directory goes (default: <repo>/runs)");
  bnight->add_option("--rescore", bnight_o.rescore, "a bench's campaign directory: its figures again (known kernel reports as listed now), nothing run");

  // Every command that boots guests starts them from a snapshot unless told not to; the
  // environment carries the choice to the sessions, and to a campaign's child processes.
  for (CLI::App* vm : {stress, nightly, repro, compare, brig, bctl, bhang, brep_cmd, bnight})
    vm->add_flag_callback("--no-snapshot", [] { ::setenv("PCIRIG_SNAPSHOT", "0", 1); },
                          "boot every guest cold instead of restoring the tuple's snapshot (docs/rig.md \"Snapshots\")");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (*stress) return cmd_stress(stress_o, stress_bundle_kernel);
    if (*merge) return merge_campaigns(merge_dirs, merge_out, night_history);
    if (*nightly) {
      if (!night_hours.empty()) night_o.hours = parse_hours(night_hours);
      night_o.history = night_history;
      night_o.status_line = isatty(STDERR_FILENO);
      return run_campaign(night_o);
    }
    if (*history) return cmd_history(hist_db, hist_json);
    if (*repro) {
      repro_o.path = repro_dir;
      repro_o.options.runs_dir = repro_runs.empty() ? default_runs_dir() : fs::path(repro_runs);
      repro_o.options.follow_journal = !repro_seed_only;
      if (!repro_limit.empty()) {
        auto t = parse_duration_seconds(repro_limit);
        if (!t || *t <= 0) throw std::runtime_error(fmt::format("--time-limit '{}': not a duration like 60s, 2m", repro_limit));
        repro_o.options.time_limit_s = *t, repro_o.time_limit_given = true;
      }
      return run_repro(repro_o);
    }
    if (*bundle) {
      fmt::print("{}\n", write_bundle(bundle_dir, bundle_out, bundle_kernel).string());
      return 0;
    }
    if (*compare) {
      auto t = parse_duration_seconds(cmp_time);
      if (!t || *t <= 0) throw std::runtime_error(fmt::format("--time '{}': not a duration like 60s, 10m", cmp_time));
      cmp_o.topo = configured_topology(cmp_common);
      if (cmp_common.check_only) return cmd_check(cmp_common);
      cmp_o.time_s = *t;
      cmp_o.runs_dir = cmp_common.runs_dir.empty() ? default_runs_dir() : fs::path(cmp_common.runs_dir);
      cmp_o.status_line = isatty(STDERR_FILENO);
      return run_compare(cmp_o);
    }
    if (*brep_cmd) {
      if (brep_o.config.empty()) brep_o.config = "reset-heavy";  // the regression crash bench control measures
      if (brep_o.check_only) return cmd_check(brep_o);
      auto l = parse_duration_seconds(brep_limit), f = parse_duration_seconds(brep_find);
      if (!l || !f || *l <= 0 || *f <= 0) throw std::runtime_error("--time-limit / --find-limit: not a duration like 60s, 10m");
      brep.time_limit_s = *l, brep.find_limit_s = *f;
      SessionOptions base;  // --from needs no kernel of its own: the crash names it
      if (brep.from.empty()) base = make_options(brep_o);
      base.accel = brep_o.accel;
      base.runs_dir = brep_o.runs_dir.empty() ? default_runs_dir() : fs::path(brep_o.runs_dir);
      return bench_repro(base, brep);
    }
    if (*brig) return cmd_bench_rig(brig_o, brig_json, brig_boots);
    if (*bnight) {
      // A bare number is minutes here.
      auto m = bnight_minutes.find_first_not_of("0123456789.") == std::string::npos && bnight_minutes.find_first_of("0123456789") != std::string::npos
                   ? std::optional<double>(std::stod(bnight_minutes) * 60)
                   : parse_duration_seconds(bnight_minutes);
      if (!m || *m <= 0) throw std::runtime_error(fmt::format("--minutes '{}': not a time like 20, 90s", bnight_minutes));
      bnight_o.minutes = *m / 60;
      return run_bench_nightly(bnight_o);
    }
    if (*bhang) {
      if (!bhang_rescore.empty()) return rescore_hang_bench(bhang_rescore, bhang_o.json_out);
      auto t = parse_duration_seconds(bhang_clean);
      if (!t || *t < 0) throw std::runtime_error(fmt::format("--clean-time '{}': not a duration like 30m", bhang_clean));
      bhang_o.clean_seconds = *t;
      if (bhang_o.runs > 0 && bhang_o.deadlock_kernel.empty())
        throw std::runtime_error("bench hang: --kernel IMAGE (one with the crash test module) is needed unless --runs 0");
      bhang_o.runs_dir = bhang_runs_dir.empty() ? default_runs_dir() : fs::path(bhang_runs_dir);
      return run_hang_bench(bhang_o);
    }
    if (*bctl) {
      auto f = parse_duration_seconds(bctl_fixed), l = parse_duration_seconds(bctl_limit);
      if (!f || !l) throw std::runtime_error("--fixed-time / --crash-limit: not a duration");
      return cmd_bench_control(bctl_o, bctl_json, bctl_runs, *f, *l);
    }
  } catch (const ConfigError& e) {
    fmt::print(stderr, "pcirig: config error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pcirig: {}\n", e.what());
    return 2;
  }
  return 2;
}
}  // namespace pcirig
