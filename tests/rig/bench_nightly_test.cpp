// `bench nightly`'s figures from a campaign directory written here (ledger, run
// records, result.json and journal.jsonl files, the sampler's bench-usage.jsonl), and
// the orchestrator sampler on real child processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "campaign/bench_nightly.hpp"
#include "campaign/ledger.hpp"
#include "campaign/usage_sampler.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
using namespace pcirig;
using json = nlohmann::json;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("pcirig-bench-nightly-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "runs");
  return d;
}

struct VmRun {
  RunRecord rec;
  json result;
  std::vector<json> journal;
};

// A guest run: its ledger record, result.json and journal (times from the run's start).
VmRun vm(int index, const std::string& cell, const std::string& kernel, double start, double end) {
  VmRun v;
  auto& r = v.rec;
  r.index = index, r.kind = "vm", r.cell = cell, r.kernel = kernel, r.result = "clean";
  r.start_offset_s = start, r.end_offset_s = end, r.run_dir = "runs/r" + std::to_string(index);
  v.result = {{"result", "clean"}};
  return v;
}

void write_campaign(const fs::path& dir, const std::vector<VmRun>& runs, const std::vector<RunRecord>& others) {
  write_file(dir / "campaign.json", json{{"uid", "test-campaign"}, {"seed", 7}, {"plan", "bench.yaml"}, {"hours", 0.05}}.dump());
  Ledger ledger(dir / "ledger.jsonl");
  for (auto& v : runs) {
    fs::create_directories(dir / v.rec.run_dir);
    write_file(dir / v.rec.run_dir / "result.json", v.result.dump());
    std::string lines;
    for (auto& e : v.journal) lines += e.dump() + "\n";
    write_file(dir / v.rec.run_dir / "journal.jsonl", lines);
    ASSERT_EQ(ledger.append(v.rec), 0);
  }
  for (auto& r : others) ASSERT_EQ(ledger.append(r), 0);
}

json ev(double t, const std::string& name) { return {{"t", t}, {"ev", name}}; }

void write_usage(const fs::path& dir, const std::vector<UsageSample>& samples) {
  std::string lines;
  for (auto& s : samples) lines += json(s).dump() + "\n";
  write_file(dir / "bench-usage.jsonl", lines);
}

UsageSample at(double t, int guests, double self_cpu, double helpers_cpu, double rss, double helpers_rss = 0) {
  UsageSample s;
  s.t = t, s.guests = guests, s.self_cpu_s = self_cpu, s.helpers_cpu_s = helpers_cpu, s.self_rss_mb = rss;
  s.helpers_rss_mb = helpers_rss;
  return s;
}

// Five runs on two slots over 150 s (worked out by hand in the comments).
fs::path full_campaign(const std::string& name, bool fixed_crash = false) {
  fs::path d = temp_dir(name);
  std::vector<VmRun> runs;
  // r0: regression, 0-40 s: ready at 3 s (snapshot taken), storm from 5 s, crash report at 20 s.
  auto r0 = vm(0, "vm:reset-heavy/regression/own/own", "regression", 0, 40);
  r0.rec.result = "kernel_crash", r0.rec.title = "BUG: A";
  r0.result = {{"result", "kernel_crash"}, {"ready_seconds", 3.0}, {"run_seconds", 15.0},
              {"start", {{"mode", "snapshot_taken"}, {"take_seconds", 1.25}}}};
  r0.journal = {ev(0, "run_start"), ev(3, "agent_ready"), ev(5, "workload"), ev(20, "kernel_report"), ev(21, "kernel_report"),
                ev(22, "end_cause"), ev(25, "run_end")};
  runs.push_back(r0);
  // r1: fixed, 0-100 s: cold, storm 4-94 s, clean.
  auto r1 = vm(1, "vm:reset-heavy/fixed/own/own", "fixed", 0, 100);
  r1.result = {{"result", "clean"}, {"ready_seconds", 2.5}, {"run_seconds", 90.0}, {"start", {{"mode", "cold"}}}};
  r1.journal = {ev(0, "run_start"), ev(4, "workload"), ev(94, "end_cause"), ev(95, "run_end")};
  if (fixed_crash) {
    r1.rec.result = "kernel_crash", r1.rec.title = "INFO: task hung in blk_mq_freeze_queue_wait";
    r1.journal.insert(r1.journal.begin() + 2, ev(50, "hang_reported"));
  }
  runs.push_back(r1);
  // r2: regression, 40-100 s: restored, storm 2-30 s, crash report at 30 s (campaign time 70 s).
  auto r2 = vm(2, "vm:default/regression/pm/acpi", "regression", 40, 100);
  r2.rec.result = "kernel_crash", r2.rec.title = "BUG: B";
  r2.result = {{"result", "kernel_crash"}, {"ready_seconds", 1.5}, {"run_seconds", 28.0},
              {"start", {{"mode", "snapshot"}, {"restore_seconds", 0.5}, {"plug_seconds", 0.25}}}};
  r2.journal = {ev(0, "run_start"), ev(2, "workload"), ev(30, "kernel_report"), ev(31, "end_cause")};
  runs.push_back(r2);
  // r4: fixed, 100-115 s: the restore failed (its run took 3 s) and the cold retry never
  // got to the storm (10 s): 13 s of boot, no report.
  auto r4 = vm(4, "vm:default/fixed/pm/acpi", "fixed", 100, 115);
  r4.rec.result = "infra", r4.rec.detail = "boot_failed";
  fs::create_directories(d / "runs/failed-restore");
  write_file(d / "runs/failed-restore/journal.jsonl", ev(0, "run_start").dump() + "\n" + ev(3, "run_end").dump() + "\n");
  r4.result = {{"result", "infra"}, {"ready_seconds", -1.0}, {"run_seconds", 0.0},
               {"start", {{"mode", "snapshot"}, {"retry_of", (d / "runs/failed-restore").string()}}}};
  r4.journal = {ev(0, "run_start"), ev(9, "end_cause"), ev(10, "run_end")};
  runs.push_back(r4);
  // r3: a model run, 100-150 s, 48 s of search, a report.
  RunRecord m;
  m.index = 3, m.kind = "model", m.cell = "model:v5.9/pct", m.kernel = "model v5.9", m.result = "model_report";
  m.title = "model v5.9: lost wake-up", m.seconds = 48, m.start_offset_s = 100, m.end_offset_s = 150, m.run_dir = "runs/m3";
  write_campaign(d, runs, {m});
  // Two guests from 1 s to 2 s (0.02 s of the process + 0.01 s of a helper: 3 %), then one.
  write_usage(d, {at(0, 0, 0, 0, 10), at(1, 2, 0.01, 0, 12), at(2, 2, 0.03, 0.01, 15, 1), at(3, 1, 0.30, 0.01, 30),
                  at(4, 2, 0.31, 0.01, 11)});
  return d;
}
}  // namespace

TEST(BenchNightly, FiguresOfACampaignDirectory) {
  fs::path d = full_campaign("full");
  json f = bench_nightly_figures(d, 2);
  EXPECT_EQ(f["runs_finished"], 5);
  EXPECT_DOUBLE_EQ(f["wall_seconds"].get<double>(), 150);
  EXPECT_NEAR(f["runs_per_hour"].get<double>(), 120, 1e-9);  // 5 runs in 150 s
  EXPECT_DOUBLE_EQ(f["slot_seconds"].get<double>(), 300);   // two slots
  // Boot: 5 + 4 + 2 + (10 + 3 of the failed restore) = 24; workload: 15 + 90 + 28 + 48 = 181;
  // teardown: 20 + 6 + 30 + 2 + 2 = 60; idle: 300 - 265 = 35.
  EXPECT_DOUBLE_EQ(f["boot_seconds"].get<double>(), 24);
  EXPECT_DOUBLE_EQ(f["workload_seconds"].get<double>(), 181);
  EXPECT_DOUBLE_EQ(f["teardown_seconds"].get<double>(), 60);
  EXPECT_DOUBLE_EQ(f["idle_seconds"].get<double>(), 35);
  EXPECT_DOUBLE_EQ(f["share"]["boot"].get<double>(), 0.08);
  EXPECT_DOUBLE_EQ(f["ready_seconds_total"].get<double>(), 7);
  EXPECT_EQ(f["ready_parts_seconds"], (json{{"snapshot_take", 1.25}, {"restore", 0.5}, {"plug_after_start", 0.25}}));
  EXPECT_EQ(f["start_modes"], (json{{"cold", 1}, {"snapshot", 2}, {"snapshot_taken", 1}}));
  EXPECT_EQ(f["restores_retried_cold"], 1);
  // The orchestrator: only the interval with two guests at both ends counts.
  EXPECT_NEAR(f["orchestrator"]["cpu_percent_with_n_guests"].get<double>(), 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(f["orchestrator"]["seconds_with_n_guests"].get<double>(), 1);
  EXPECT_NEAR(f["orchestrator"]["cpu_percent_overall"].get<double>(), 8.0, 1e-9);  // 0.32 s in 4 s
  EXPECT_DOUBLE_EQ(f["orchestrator"]["rss_peak_mb_with_n_guests"].get<double>(), 16);
  EXPECT_DOUBLE_EQ(f["orchestrator"]["rss_peak_mb_overall"].get<double>(), 30);
  // Crashes by title, in the order they came, each with its cells.
  ASSERT_EQ(f["crashes"].size(), 3u);
  EXPECT_EQ(f["crashes"][0]["title"], "BUG: A");
  EXPECT_DOUBLE_EQ(f["crashes"][0]["first_seconds"].get<double>(), 20);
  EXPECT_EQ(f["crashes"][0]["cells"], json::array({"vm:reset-heavy/regression/own/own"}));
  EXPECT_EQ(f["crashes"][1]["title"], "BUG: B");
  EXPECT_DOUBLE_EQ(f["crashes"][1]["first_seconds"].get<double>(), 70);
  EXPECT_EQ(f["crashes"][2]["title"], "model v5.9: lost wake-up");
  EXPECT_DOUBLE_EQ(f["first_regression_crash_seconds"].get<double>(), 20);
  EXPECT_EQ(f["first_regression_crash"]["run_dir"], "runs/r0");
  EXPECT_EQ(f["fixed"]["runs"], 2);
  EXPECT_EQ(f["fixed"]["infra"], 1);
  EXPECT_EQ(f["fixed"]["reports"], 0);
  for (const char* t : {"boot_share", "orchestrator_cpu_percent", "first_regression_crash_seconds", "fixed_reports"})
    EXPECT_EQ(f["targets"][t]["met"], true) << t;
  EXPECT_EQ(f["targets_met"], true);
  fs::remove_all(d);
}

TEST(BenchNightly, AReportOnAFixedCellMissesItsTarget) {
  fs::path d = full_campaign("fixed-crash", true);
  json f = bench_nightly_figures(d, 2);
  EXPECT_EQ(f["fixed"]["reports"], 1);
  EXPECT_EQ(f["fixed"]["report_runs"][0]["cell"], "vm:reset-heavy/fixed/own/own");
  EXPECT_EQ(f["targets"]["fixed_reports"]["met"], false);
  EXPECT_EQ(f["targets_met"], false);
  // The rig's hang report times the crash: 0 + 50 s.
  double first = -1;
  for (auto& c : f["crashes"])
    if (c["title"] == "INFO: task hung in blk_mq_freeze_queue_wait") first = c["first_seconds"].get<double>();
  EXPECT_DOUBLE_EQ(first, 50);
  fs::remove_all(d);
}

TEST(BenchNightly, TargetsMissedOrNotMeasured) {
  fs::path d = temp_dir("slow");
  // A regression cell that crashed only after 6 minutes, booting 40 of its 400 s; a
  // fixed cell never ran; no sampler file.
  auto r = vm(0, "vm:reset-heavy/regression-lockdep/own/own", "regression-lockdep", 0, 400);
  r.rec.result = "kernel_crash", r.rec.title = "BUG: late";
  r.result = {{"result", "kernel_crash"}, {"ready_seconds", 30.0}, {"run_seconds", 330.0}, {"start", {{"mode", "cold"}}}};
  r.journal = {ev(40, "workload"), ev(370, "end_cause")};  // no kernel_report line: the end cause times it
  write_campaign(d, {r}, {});
  json f = bench_nightly_figures(d, 1);
  EXPECT_DOUBLE_EQ(f["share"]["boot"].get<double>(), 0.1);
  EXPECT_EQ(f["targets"]["boot_share"]["met"], false);  // under 10 %, strictly
  EXPECT_DOUBLE_EQ(f["first_regression_crash_seconds"].get<double>(), 370);
  EXPECT_EQ(f["targets"]["first_regression_crash_seconds"]["met"], false);
  EXPECT_TRUE(f["orchestrator"]["cpu_percent_with_n_guests"].is_null());
  EXPECT_TRUE(f["targets"]["orchestrator_cpu_percent"]["met"].is_null());
  EXPECT_TRUE(f["targets"]["fixed_reports"]["met"].is_null());
  EXPECT_EQ(f["targets_met"], false);
  fs::remove_all(d);
}

TEST(BenchNightly, ARegressionCellThatNeverCrashedMisses) {
  fs::path d = temp_dir("no-crash");
  auto r = vm(0, "vm:default/regression/pm/acpi", "regression", 0, 100);
  r.result = {{"result", "clean"}, {"ready_seconds", 2.0}, {"run_seconds", 95.0}, {"start", {{"mode", "snapshot"}}}};
  r.journal = {ev(3, "workload"), ev(98, "run_end")};
  write_campaign(d, {r}, {});
  // Torn lines (a killed sampler, a killed campaign) are skipped.
  write_file(d / "bench-usage.jsonl", json(at(0, 1, 0, 0, 5)).dump() + "\n" + json(at(2, 1, 0.04, 0, 6)).dump() + "\n{\"t\":3,");
  std::ofstream(d / "ledger.jsonl", std::ios::app) << "{\"index\":1,\"cel";
  json f = bench_nightly_figures(d, 1);
  EXPECT_EQ(f["runs_finished"], 1);
  EXPECT_TRUE(f["first_regression_crash_seconds"].is_null());
  EXPECT_EQ(f["targets"]["first_regression_crash_seconds"]["met"], false);
  EXPECT_NEAR(f["orchestrator"]["cpu_percent_with_n_guests"].get<double>(), 2.0, 1e-9);
  EXPECT_EQ(f["orchestrator"]["samples"], 2);
  fs::remove_all(d);
}

TEST(BenchNightly, AnEmptyCampaignHasNoRates) {
  fs::path d = temp_dir("empty");
  json f = bench_nightly_figures(d, 2);
  EXPECT_EQ(f["runs_finished"], 0);
  EXPECT_TRUE(f["runs_per_hour"].is_null());
  EXPECT_TRUE(f["share"]["boot"].is_null());
  EXPECT_TRUE(f["targets_met"].is_null());
  fs::remove_all(d);
}

TEST(BenchNightly, KernelFamilies) {
  EXPECT_EQ(kernel_family("regression"), "regression");
  EXPECT_EQ(kernel_family("regression-lockdep"), "regression");
  EXPECT_EQ(kernel_family("fixed+crashtest"), "fixed");
  EXPECT_EQ(kernel_family("/cache/images/fixed-kasan/image.json"), "fixed");
  EXPECT_EQ(kernel_family("debian"), "");
  EXPECT_EQ(kernel_family("regressions"), "");
  EXPECT_EQ(kernel_family("fixedish"), "");
}

TEST(UsageSampler, ParsesProcStat) {
  auto s = parse_proc_stat(
      "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0 123456 1000000 256 18446744073709551615");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->ppid, 17);
  EXPECT_EQ(s->comm, "a (b) c");
  EXPECT_DOUBLE_EQ(s->cpu_s, 300.0 / double(::sysconf(_SC_CLK_TCK)));
  EXPECT_EQ(s->start, 123456u);
  EXPECT_DOUBLE_EQ(s->rss_mb, 256.0 * double(::sysconf(_SC_PAGESIZE)) / (1024 * 1024));
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("12 (short) S 1 2"));
  EXPECT_EQ(proc_role("qemu-system-x86", ""), ProcRole::guest);
  EXPECT_EQ(proc_role("pcirig-model", ""), ProcRole::model);
  EXPECT_EQ(proc_role("bash", std::string("bash\0/r/fuzz/scripts/fuzz.sh\0--variant", 38)), ProcRole::model);
  EXPECT_EQ(proc_role("guest-images/bu", "bash"), ProcRole::helper);
}

// Real children: a "QEMU" (sleep run through a symlink of that name) is a guest, not
// counted; a plain sleep is a helper, counted. posix_spawn returns once the child has
// exec'd, so its name is already the program's.
TEST(UsageSampler, SortsRealChildren) {
  fs::path d = temp_dir("sampler");
  fs::path sleep_bin = fs::exists("/usr/bin/sleep") ? "/usr/bin/sleep" : "/bin/sleep";
  fs::create_symlink(sleep_bin, d / "qemu-system-x86_64");
  auto spawn = [](const fs::path& prog) {
    pid_t pid = 0;
    std::string p = prog.string(), arg = "60";
    char* argv[] = {p.data(), arg.data(), nullptr};
    EXPECT_EQ(::posix_spawn(&pid, p.c_str(), nullptr, nullptr, argv, environ), 0);
    return pid;
  };
  UsageSampler sampler;
  UsageSample before = sampler.sample(0);
  pid_t guest = spawn(d / "qemu-system-x86_64"), helper = spawn(sleep_bin);
  UsageSample s = sampler.sample(1);
  EXPECT_EQ(s.guests, before.guests + 1);
  EXPECT_EQ(s.helpers, before.helpers + 1);
  EXPECT_GT(s.self_cpu_s, 0);
  EXPECT_GT(s.self_rss_mb, 0);
  for (pid_t p : {guest, helper}) ::kill(p, SIGKILL), ::waitpid(p, nullptr, 0);
  UsageSample after = sampler.sample(2);
  EXPECT_EQ(after.guests, before.guests);
  EXPECT_EQ(after.helpers, before.helpers);
  EXPECT_GE(after.helpers_cpu_s, s.helpers_cpu_s);  // cumulative: the dead keep what they used
  fs::remove_all(d);
}
