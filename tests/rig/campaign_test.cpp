// The campaign's pieces without a guest: plan validation, run order and shards, the
// ledger, the history database and the reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "campaign/ledger.hpp"
#include "campaign/plan.hpp"
#include "campaign/run_order.hpp"
#include "config/topology.hpp"
#include "history/history_db.hpp"
#include "report/campaign_outputs.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
using namespace pcirig;

namespace {
bool only_debian(const std::string& name, std::string& why) {
  if (name == "debian") return true;
  why = "not built";
  return false;
}
PlanWorld world() {
  PlanWorld w;
  w.kernel_known = &only_debian;
  w.variants = {"v4.10", "v5.9"};
  return w;
}
std::string error_of(const std::string& yaml) {
  try {
    load_plan_text(yaml, "p.yaml", world());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "accepted";
}
fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("pcirig-campaign-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
RunRecord record(int index, const std::string& title, const std::string& ended) {
  RunRecord r;
  r.index = index, r.cell = "vm:default/debian/own/acpi", r.kind = "vm", r.result = title.empty() ? "clean" : "kernel_crash";
  r.title = title, r.ended = ended, r.run_dir = "runs/r" + std::to_string(index), r.seconds = 10 + index;
  r.kernel = "debian", r.topology = "default", r.end_offset_s = 60.0 * index, r.reads_per_s = 1000 + index;
  r.resets_per_s = 5, r.plug_cycles = 7;
  return r;
}
}  // namespace

TEST(Plan, ExpandsTheMatrix) {
  Plan p = load_plan_text(
      "seed: 7\nduration: 20s\nworkloads:\n  two: {readers: 2, resetters: 2, reset_method: flr}\n"
      "vm:\n  - topologies: [default, switch-tree]\n    kernels: [debian]\n    workloads: [two]\n"
      "    hotplug: [acpi, native]\n    runs: 2\nmodel:\n  - variants: [v4.10, v5.9]\n    schedulers: [pct]\n",
      "p.yaml", world());
  ASSERT_EQ(p.cells.size(), 6u);
  EXPECT_EQ(p.cells[0].id, "vm:default/debian/two/acpi");
  EXPECT_EQ(p.cells[5].id, "model:v5.9/pct");
  EXPECT_EQ(p.round_runs(), 4 * 2 + 2);
  EXPECT_EQ(*p.seed, 7u);
  EXPECT_DOUBLE_EQ(p.cells[0].duration_s, 20);
}

TEST(Plan, KernelOverrideReplacesEveryVmEntrysKernels) {
  PlanWorld w = world();
  w.kernels = {"debian"};
  Plan p = load_plan_text("vm:\n  - topologies: [default]\n    kernels: [fixed, regression]\n", "p.yaml", w);
  ASSERT_EQ(p.cells.size(), 1u);
  EXPECT_EQ(p.cells[0].kernel, "debian");
  // The override is checked like the plan's own kernels.
  w.kernels = {"nosuch"};
  try {
    load_plan_text("vm:\n  - topologies: [default]\n    kernels: [debian]\n", "p.yaml", w);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel 'nosuch': not built"), std::string::npos) << e.what();
  }
}

TEST(Plan, RefusesWithFileLineColumnAndName) {
  EXPECT_EQ(error_of("vm:\n  - topologies: [default]\n    kernels: [debian, nosuch]\n"),
            "p.yaml:3:23: key 'vm.kernels': kernel 'nosuch': not built");
  EXPECT_EQ(error_of("model:\n  - variants: [v4.10, v9.99]\n    schedulers: [pct]\n"),
            "p.yaml:2:23: key 'model.variants': no variant 'v9.99' (variants: v4.10, v5.9)");
  EXPECT_EQ(error_of("vm:\n  - topologies: [nosuch-topology]\n    kernels: [debian]\n"),
            "p.yaml:2:18: key 'vm.topologies': no topology 'nosuch-topology' (neither a file nor a name under rig/configs/)");
  EXPECT_EQ(error_of("vm:\n  - topologies: [default]\n    kernel: [debian]\n"),
            "p.yaml:3:5: key 'vm.kernel': unknown key (allowed: topologies, kernels, workloads, hotplug, runs, duration)");
  EXPECT_EQ(error_of("vm:\n  - topologies: [default]\n    kernels: [debian]\n    workloads: [mixed]\n"),
            "p.yaml:4:17: key 'vm.workloads': no workload mix 'mixed' in workloads:");
  EXPECT_EQ(error_of("model:\n  - variants: [v4.10]\n    schedulers: [pct, annealing]\n"),
            "p.yaml:3:23: key 'model.schedulers': 'annealing' is not one of: random, pct, dfs, libfuzzer");
  EXPECT_EQ(error_of("workloads:\n  a: {readers: -1}\nmodel:\n  - variants: [v4.10]\n    schedulers: [pct]\n"),
            "p.yaml:2:16: key 'workloads.a.readers': -1 is out of range [0, 256]");
  EXPECT_EQ(error_of("duration: soon\n"), "p.yaml:1:11: key 'duration': 'soon' is not a duration like 30s, 10m, 1h");
  EXPECT_EQ(error_of("vm:\n  - topologies: [reset-heavy]\n    kernels: [debian]\n    hotplug: [acpi]\n"), "accepted");
}

TEST(Plan, ShippedDefaultPlanLoads) {
  PlanWorld w;  // no kernel check; the variants the default plan names
  w.variants = {"v4.10", "v5.9"};
  Plan p = load_plan_file(std::string(PCIRIG_SOURCE_DIR) + "/rig/plans/default.yaml", w);
  EXPECT_GT(p.cells.size(), 20u);
}

TEST(RunOrder, SeedsAreReproducibleAndShardsPartition) {
  Plan p = load_plan_text("model:\n  - variants: [v4.10, v5.9]\n    schedulers: [pct, random]\n    runs: 3\n", "p.yaml", world());
  RunOrder a(p, 42), b(p, 42), c(p, 43);
  std::set<uint64_t> seeds;
  for (int i = 0; i < 24; i++) {
    EXPECT_EQ(a.at(i).seed, b.at(i).seed);
    EXPECT_EQ(a.at(i).cell, b.at(i).cell);
    EXPECT_NE(a.at(i).seed, c.at(i).seed);
    seeds.insert(a.at(i).seed);
  }
  EXPECT_EQ(seeds.size(), 24u);
  // Cells interleave: the first round's first four runs are the four cells.
  std::set<std::string> first;
  for (int i = 0; i < 4; i++) first.insert(a.at(i).cell->id);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(a.at(12).round, 1);
  Shard s1 = parse_shard("1/3"), s2 = parse_shard("2/3"), s3 = parse_shard("3/3");
  for (int i = 0; i < 30; i++) EXPECT_EQ(s1.holds(i) + s2.holds(i) + s3.holds(i), 1);
  EXPECT_THROW(parse_shard("0/3"), std::runtime_error);
  EXPECT_THROW(parse_shard("4/3"), std::runtime_error);
  EXPECT_THROW(parse_shard("1/3x"), std::runtime_error);
}

TEST(Ledger, KeepsWholeLinesAndSkipsATornOne) {
  fs::path d = temp_dir("ledger");
  Ledger l(d / "ledger.jsonl");
  EXPECT_EQ(l.append(record(0, "", "2026-01-01T00:00:00Z")), 0);
  EXPECT_EQ(l.append(record(1, "BUG: x", "2026-01-01T00:01:00Z")), 0);
  LineLog raw(d / "ledger.jsonl");
  raw.write("{\"index\": 2, \"cell\": \"vm:de");  // a kill -9 in the middle of a line
  auto rs = Ledger::read(d / "ledger.jsonl");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[1].title, "BUG: x");
  EXPECT_EQ(rs[1].run_dir, "runs/r1");
  fs::remove_all(d);
}

TEST(History, NewTitlesAcrossCampaignsAndIdempotentRecords) {
  fs::path d = temp_dir("history");
  {
    HistoryDb h(d / "h.sqlite");
    h.begin_campaign({"c1", "2026-01-01T00:00:00Z", "plan", "abc", "host", "/x", "", 1});
    EXPECT_TRUE(h.record_run("c1", record(0, "BUG: a", "2026-01-01T00:00:10Z"), "/x/r0"));
    EXPECT_TRUE(h.record_run("c1", record(1, "BUG: a", "2026-01-01T00:00:20Z"), "/x/r1"));  // still new in c1
    EXPECT_FALSE(h.record_run("c1", record(2, "", "2026-01-01T00:00:30Z"), "/x/r2"));
    // The same run again (a resume replaying its ledger): nothing changes.
    EXPECT_TRUE(h.record_run("c1", record(0, "BUG: a", "2026-01-01T00:00:10Z"), "/x/r0"));
    h.end_campaign("c1", "2026-01-01T01:00:00Z", "finished");
  }
  HistoryDb h(d / "h.sqlite");
  h.begin_campaign({"c2", "2026-01-02T00:00:00Z", "plan", "abc", "host", "/y", "", 2});
  EXPECT_FALSE(h.record_run("c2", record(0, "BUG: a", "2026-01-02T00:00:10Z"), "/y/r0"));
  EXPECT_TRUE(h.record_run("c2", record(1, "BUG: b", "2026-01-02T00:00:20Z"), "/y/r1"));
  EXPECT_EQ(h.count("runs"), 5);
  EXPECT_EQ(h.count("crashes"), 4);
  auto titles = h.titles();
  ASSERT_EQ(titles.size(), 2u);
  const TitleHistory& a = titles[0].title == "BUG: a" ? titles[0] : titles[1];
  EXPECT_EQ(a.count, 3);
  EXPECT_EQ(a.first_seen, "2026-01-01T00:00:10Z");
  EXPECT_EQ(a.last_seen, "2026-01-02T00:00:10Z");
  EXPECT_EQ(a.first_campaign, "c1");
  EXPECT_EQ(a.best_repro, "/x/r0");  // the run that crashed soonest (10 s)
  EXPECT_EQ(a.kernels, "debian");
  fs::remove_all(d);
}

TEST(Reports, JunitHasACasePerCellAndAFailurePerTitle) {
  CampaignReport r;
  r.uid = "c<1>";
  r.cells = {"vm:default/debian/own/acpi", "model:v4.10/pct", "model:v5.9/pct"};
  r.runs = {record(0, "BUG: a & b", "t0"), record(1, "BUG: a & b", "t1"), record(2, "BUG: c", "t2")};
  r.runs[2].new_title = true;
  RunRecord m = record(3, "", "t3");
  m.cell = "model:v4.10/pct", m.kind = "model";
  r.runs.push_back(m);
  std::string x = report_junit(r);
  EXPECT_NE(x.find("tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("name=\"pcirig nightly c&lt;1&gt;\""), std::string::npos);
  EXPECT_NE(x.find("message=\"BUG: a &amp; b\""), std::string::npos);
  EXPECT_NE(x.find("message=\"NEW: BUG: c\""), std::string::npos);
  EXPECT_NE(x.find("<skipped message=\"not run\"/>"), std::string::npos);
  std::string h = report_html(r);
  size_t rows = 0;
  for (size_t at = 0; (at = h.find("class=\"crash-row\"", at)) != std::string::npos; at++) rows++;
  EXPECT_EQ(rows, 2u);
  EXPECT_NE(h.find("href=\"runs/r0/console.log\""), std::string::npos);
  EXPECT_NE(h.find("href=\"runs/r3/output.log\""), std::string::npos);
  EXPECT_NE(h.find("<svg id=\"chart-reads\""), std::string::npos);
  EXPECT_NE(h.find("class=\"pt crash\""), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);  // self-contained and static
  auto j = nlohmann::json::parse(report_json(r));
  EXPECT_EQ(j["crashes"].size(), 2u);
  EXPECT_EQ(j["runs"].size(), 4u);
}
