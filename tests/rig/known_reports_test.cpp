// Known kernel reports (corpora/known-reports.yaml): the loader's errors, matching, and
// what a known crash changes in the history, the reports and bench nightly's figures;
// last, the shipped list against reports saved from real campaign runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "campaign/bench_nightly.hpp"
#include "campaign/ledger.hpp"
#include "config/topology.hpp"
#include "console/crash_title.hpp"
#include "history/history_db.hpp"
#include "report/campaign_outputs.hpp"
#include "triage/known_reports.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
using namespace pcirig;
using json = nlohmann::json;

namespace {
const std::string kGood = R"(- id: stop-bus
  title: '(BUG: unable to handle kernel paging request|general protection fault) in pci_stop_bus_device'
  body: [pci_stop_and_remove_bus_device_locked, remove_store]
  releases: ['6.1.*']
  why: remove_store races a hot-unplug.
  evidence: two bench runs.
- id: nvme-freeze
  title: 'INFO: task hung in (pci_wait_cfg|blk_mq_freeze_queue_wait)'
  body: [nvme_reset_work, blk_mq_freeze_queue_wait]
  releases: ['6.1.*', '6.12.*']
  why: nvme reset stuck.
  evidence: bench runs.
)";

ConfigError load_error(const std::string& yaml) {
  try {
    load_known_reports_text(yaml, "k.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << yaml;
  return ConfigError("", 0, 0, "", "");
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("pcirig-known-reports-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

RunRecord crash(int index, const std::string& cell, const std::string& title, const std::string& known) {
  RunRecord r;
  r.index = index, r.cell = cell, r.kind = "vm", r.result = title.empty() ? "clean" : "kernel_crash";
  r.title = title, r.known = known, r.run_dir = "runs/r" + std::to_string(index), r.seed = 100 + index;
  r.kernel = "fixed", r.ended = "2026-01-01T00:00:0" + std::to_string(index) + "Z";
  return r;
}

// A golden excerpt: "title: ...", "release: ...", a blank line, then the report body.
struct Saved {
  std::string title, release, body;
};
Saved read_saved(const std::string& name) {
  std::string text = read_file_text(fs::path(PCIRIG_SOURCE_DIR) / "tests/rig/golden/known-reports" / name);
  Saved s;
  size_t blank = text.find("\n\n");
  EXPECT_NE(blank, std::string::npos) << name;
  std::string head = text.substr(0, blank);
  s.body = text.substr(blank + 2);
  for (size_t pos = 0; pos < head.size();) {
    size_t nl = head.find('\n', pos);
    std::string line = head.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.starts_with("title: ")) s.title = line.substr(7);
    if (line.starts_with("release: ")) s.release = line.substr(9);
    pos = nl == std::string::npos ? head.size() : nl + 1;
  }
  return s;
}
}  // namespace

TEST(KnownReports, LoadsEntries) {
  auto k = load_known_reports_text(kGood, "k.yaml");
  ASSERT_EQ(k.entries.size(), 2u);
  EXPECT_EQ(k.entries[0].id, "stop-bus");
  EXPECT_EQ(k.entries[0].body.size(), 2u);
  EXPECT_EQ(k.entries[1].releases, (std::vector<std::string>{"6.1.*", "6.12.*"}));
  EXPECT_TRUE(load_known_reports_text("", "k.yaml").entries.empty());
  EXPECT_TRUE(load_known_reports_file("/nonexistent/known-reports.yaml").entries.empty());
}

TEST(KnownReports, BadRegexNamesFileLineColumnAndKey) {
  std::string y = kGood;
  y.replace(y.find("'INFO: task hung in (pci_wait_cfg"), 1, "'(");  // an unclosed group
  auto e = load_error(y);
  EXPECT_EQ(e.file, "k.yaml");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 10);
  EXPECT_EQ(e.key, "nvme-freeze.title");
  EXPECT_NE(std::string(e.what()).find("k.yaml:8:10: key 'nvme-freeze.title'"), std::string::npos) << e.what();
  EXPECT_NE(e.message.find("not an ECMAScript regex"), std::string::npos) << e.message;

  auto b = load_error("- id: a\n  title: x\n  body: [ok, 'a[b']\n  releases: ['6.1.*']\n  why: w\n  evidence: e\n");
  EXPECT_EQ(b.key, "a.body[1]");
  EXPECT_EQ(b.line, 3);
  EXPECT_EQ(b.column, 14);
}

TEST(KnownReports, UnknownKeyIsRefusedWhereItIsWritten) {
  std::string y = kGood;
  y.insert(y.find("  evidence: bench runs."), "  status: fixed\n");
  auto e = load_error(y);
  EXPECT_EQ(e.key, "nvme-freeze.status");
  EXPECT_EQ(e.line, 12);
  EXPECT_EQ(e.column, 3);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
}

TEST(KnownReports, MissingTitleAndOtherBadShapesAreRefused) {
  auto e = load_error("- id: a\n  releases: ['6.1.*']\n  why: w\n  evidence: e\n");
  EXPECT_EQ(e.key, "a.title");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 3);
  EXPECT_NE(e.message.find("missing"), std::string::npos);
  EXPECT_EQ(load_error("- title: x\n  releases: ['6.1.*']\n  why: w\n  evidence: e\n").key, "[0].id");
  EXPECT_EQ(load_error("- id: a\n  title: x\n  releases: []\n  why: w\n  evidence: e\n").key, "a.releases");
  EXPECT_EQ(load_error("id: a\n").key, "");  // not a list
  std::string twice = kGood;
  twice.replace(twice.find("id: nvme-freeze"), 15, "id: stop-bus");
  auto d = load_error(twice);
  EXPECT_EQ(d.key, "stop-bus.id");
  EXPECT_EQ(d.line, 7);
  auto syntax = load_error("- id: a\n  title: [x\n");
  EXPECT_EQ(syntax.file, "k.yaml");
  EXPECT_GT(syntax.line, 0);
}

TEST(KnownReports, MatchNeedsTheWholeTitleEveryBodyRegexAndTheRelease) {
  auto k = load_known_reports_text(kGood, "k.yaml");
  std::string body = "kworker\n  blk_mq_freeze_queue_wait+0x8f/0xd0\n  nvme_wait_freeze+0x31/0x50\n  nvme_reset_work+0xe49\n";
  auto m = k.match("INFO: task hung in pci_wait_cfg", body, "6.1.192-pcirig-fixed");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "nvme-freeze");
  EXPECT_EQ(k.match("INFO: task hung in blk_mq_freeze_queue_wait", body, "6.12.5")->id, "nvme-freeze");
  // The title regex covers the whole title, not a part of it.
  EXPECT_FALSE(k.match("INFO: task hung in pci_wait_cfg_locked", body, "6.1.192-pcirig-fixed"));
  EXPECT_FALSE(k.match("x INFO: task hung in pci_wait_cfg", body, "6.1.192-pcirig-fixed"));
  // Every body regex: without nvme_reset_work the hang is another one.
  EXPECT_FALSE(k.match("INFO: task hung in pci_wait_cfg", "blk_mq_freeze_queue_wait+0x8f/0xd0\n", "6.1.192-pcirig-fixed"));
  // The release glob: another kernel, or none recorded, is not known.
  EXPECT_FALSE(k.match("INFO: task hung in pci_wait_cfg", body, "6.10.0-rc1"));
  EXPECT_FALSE(k.match("INFO: task hung in pci_wait_cfg", body, "5.10.0-28-amd64"));
  EXPECT_FALSE(k.match("INFO: task hung in pci_wait_cfg", body, ""));
  EXPECT_FALSE(k.match("", body, "6.1.192-pcirig-fixed"));

  json r = {{"crash", {{"title", "general protection fault in pci_stop_bus_device"},
                       {"report", "Call Trace:\n pci_stop_and_remove_bus_device_locked+0x15/0x30\n remove_store+0x82/0xa0\n"}}},
            {"kernel", {{"name", "regression"}, {"release", "6.1.192-pcirig-regression"}}}};
  EXPECT_EQ(k.id_for_result(r), "stop-bus");
  r["kernel"]["release"] = "6.12.1";  // stop-bus lists 6.1 only
  EXPECT_EQ(k.id_for_result(r), "");
  EXPECT_EQ(k.id_for_result(json{{"result", "clean"}}), "");
  EXPECT_EQ(k.id_for_result(json{{"crash", "garbage"}}), "");
}

TEST(KnownReports, HistoryNeverCallsAKnownReportNew) {
  fs::path d = temp_dir("history");
  HistoryDb h(d / "h.sqlite");
  h.begin_campaign({"c1", "2026-01-01T00:00:00Z", "plan", "abc", "host", "/x", "", 1});
  EXPECT_FALSE(h.record_run("c1", crash(0, "vm:a", "INFO: task hung in pci_wait_cfg", "nvme-freeze"), "/x/r0"));
  EXPECT_TRUE(h.record_run("c1", crash(1, "vm:a", "BUG: other", ""), "/x/r1"));
  fs::remove_all(d);
}

TEST(KnownReports, ReportsSayKnownAndJunitFailsOnlyTheUnexplained) {
  CampaignReport r;
  r.uid = "c1";
  r.cells = {"vm:switch-tree/fixed/rescan/acpi", "vm:default/fixed/rescan/acpi"};
  r.runs = {crash(0, r.cells[0], "BUG: unable to handle kernel paging request in pci_stop_bus_device", "stop-bus"),
            crash(1, r.cells[0], "BUG: unable to handle kernel paging request in pci_stop_bus_device", "stop-bus"),
            crash(2, r.cells[1], "INFO: task hung in pci_wait_cfg", "nvme-freeze"),
            crash(3, r.cells[1], "BUG: something else", "")};
  r.runs[0].new_title = true;  // as a history that predates the list could have said
  r.runs[3].new_title = true;

  auto groups = group_by_title(r);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].known, "stop-bus");
  EXPECT_FALSE(groups[0].is_new);
  EXPECT_EQ(groups[2].known, "");
  EXPECT_TRUE(groups[2].is_new);

  std::string x = report_junit(r);
  EXPECT_NE(x.find("failures=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("message=\"NEW: BUG: something else\""), std::string::npos) << x;
  EXPECT_EQ(x.find("<failure type=\"kernel_crash\" message=\"BUG: unable"), std::string::npos) << x;
  EXPECT_EQ(x.find("message=\"INFO: task hung"), std::string::npos) << x;
  EXPECT_NE(x.find("known kernel report stop-bus: BUG: unable to handle kernel paging request in pci_stop_bus_device\n"
                   "runs/r0 (seed 100)\nruns/r1 (seed 101)"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("known kernel report nvme-freeze: INFO: task hung in pci_wait_cfg"), std::string::npos) << x;

  std::string h = report_html(r);
  EXPECT_NE(h.find("<span class=\"known\">known: stop-bus</span> BUG: unable to handle"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"known\">known: nvme-freeze</span> INFO: task hung"), std::string::npos);
  EXPECT_NE(h.find("<span class=\"new\">NEW</span> BUG: something else"), std::string::npos);
  size_t news = 0;
  for (size_t at = 0; (at = h.find("<span class=\"new\">NEW</span>", at)) != std::string::npos; at++) news++;
  EXPECT_EQ(news, 1u);

  auto j = json::parse(report_json(r));
  EXPECT_EQ(j["crashes"][0]["known"], "stop-bus");
  EXPECT_EQ(j["crashes"][0]["new"], false);
  EXPECT_EQ(j["crashes"][2]["known"], "");
  EXPECT_EQ(j["runs"][2]["known"], "nvme-freeze");

  // One run of a title the list does not explain (another body) makes the title unexplained.
  r.runs.push_back(crash(4, r.cells[1], "INFO: task hung in pci_wait_cfg", ""));
  auto g2 = group_by_title(r);
  EXPECT_EQ(g2[1].known, "");
  std::string x2 = report_junit(r);
  EXPECT_NE(x2.find("failures=\"2\""), std::string::npos) << x2;
  EXPECT_NE(x2.find("message=\"INFO: task hung in pci_wait_cfg\""), std::string::npos) << x2;
}

TEST(KnownReports, BenchCountsKnownAndUnexplainedFixedReports) {
  fs::path d = temp_dir("bench");
  write_file(d / "campaign.json", json{{"uid", "b"}, {"seed", 1}, {"plan", "bench.yaml"}, {"hours", 0.1}}.dump());
  Ledger ledger(d / "ledger.jsonl");
  auto vm = [&](RunRecord r, const json& result) {
    r.start_offset_s = 10.0 * r.index, r.end_offset_s = 10.0 * r.index + 10;
    fs::create_directories(d / r.run_dir);
    write_file(d / r.run_dir / "result.json", result.dump());
    write_file(d / r.run_dir / "journal.jsonl", "");
    ASSERT_EQ(ledger.append(r), 0);
  };
  json fixed_kernel = {{"name", "fixed"}, {"release", "6.1.192-pcirig-fixed"}};
  // r0: marked known by the campaign (its ledger record says so).
  vm(crash(0, "vm:switch-tree/fixed/rescan/acpi", "general protection fault in pci_stop_bus_device", "stop-bus"),
     {{"result", "kernel_crash"}});
  // r1: a campaign from before the list: result.json matches an entry.
  vm(crash(1, "vm:default/fixed/rescan/acpi", "INFO: task hung in pci_wait_cfg", ""),
     {{"result", "kernel_crash"},
      {"kernel", fixed_kernel},
      {"crash", {{"title", "INFO: task hung in pci_wait_cfg"}, {"report", "nvme_reset_work\nblk_mq_freeze_queue_wait\n"}}}});
  // r2: the same title without the nvme stack: unexplained.
  vm(crash(2, "vm:default/fixed/rescan/native", "INFO: task hung in pci_wait_cfg", ""),
     {{"result", "kernel_crash"},
      {"kernel", fixed_kernel},
      {"crash", {{"title", "INFO: task hung in pci_wait_cfg"}, {"report", "pci_wait_cfg+0x8a/0xe0\n"}}}});
  // r3: clean; r4: a regression-kernel crash, not a fixed-kernel report at all.
  vm(crash(3, "vm:default/fixed/pm/acpi", "", ""), {{"result", "clean"}});
  RunRecord reg = crash(4, "vm:default/regression/pm/acpi", "BUG: regression", "");
  reg.kernel = "regression";
  vm(reg, {{"result", "kernel_crash"}});

  auto k = load_known_reports_text(kGood, "k.yaml");
  json f = bench_nightly_figures(d, 1, {}, &k);
  EXPECT_EQ(f["fixed"]["runs"], 4);
  EXPECT_EQ(f["fixed"]["reports"], 3);
  EXPECT_EQ(f["fixed"]["known_reports"], 2);
  EXPECT_EQ(f["fixed"]["unexplained_reports"], 1);
  EXPECT_EQ(f["fixed"]["unexplained_report_runs"][0]["run_dir"], "runs/r2");
  EXPECT_EQ(f["fixed"]["known_report_runs"][1]["known"], "nvme-freeze");
  EXPECT_EQ(f["targets"]["fixed_reports"]["value"], 1.0);
  EXPECT_EQ(f["targets"]["fixed_reports"]["met"], false);
  EXPECT_NE(f["targets"]["fixed_reports"]["what"].get<std::string>().find("unexplained"), std::string::npos);
  // Without the list only the ledger's mark counts.
  json g = bench_nightly_figures(d, 1);
  EXPECT_EQ(g["fixed"]["known_reports"], 1);
  EXPECT_EQ(g["fixed"]["unexplained_reports"], 2);
  fs::remove_all(d);
}

// The shipped list against reports from real runs of the 15-minute bench (fixed kernel,
// 6.1.192-pcirig-fixed): the oops as the console printed it, the hang as the rig wrote it.
TEST(KnownReports, ShippedListExplainsTheSavedFixedKernelReports) {
  auto k = load_known_reports_file(fs::path(PCIRIG_SOURCE_DIR) / "corpora/known-reports.yaml");
  ASSERT_EQ(k.entries.size(), 2u);

  Saved oops = read_saved("remove-store-oops.txt");
  auto parsed = parse_console(oops.body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->title, oops.title);  // the console parser's own title for it
  auto m = k.match(parsed->title, parsed->text, oops.release);
  ASSERT_TRUE(m) << parsed->title;
  EXPECT_EQ(m->id, "pci-remove-store-vs-hot-unplug");
  EXPECT_TRUE(k.match("general protection fault in pci_stop_bus_device", parsed->text, "6.1.192-pcirig-regression"));
  EXPECT_FALSE(k.match(parsed->title, parsed->text, "6.12.5"));

  Saved hang = read_saved("nvme-reset-hang.txt");
  ASSERT_NE(hang.body.find("nvme_reset_work"), std::string::npos);
  ASSERT_NE(hang.body.find("blk_mq_freeze_queue_wait"), std::string::npos);
  m = k.match(hang.title, hang.body, hang.release);
  ASSERT_TRUE(m) << hang.title;
  EXPECT_EQ(m->id, "nvme-reset-stuck-in-freeze");
  for (const char* t : {"INFO: task hung in blk_mq_freeze_queue_wait", "INFO: task hung in pci_lock_rescan_remove",
                        "INFO: task hung in nvme_remove_invalid_namespaces"})
    EXPECT_TRUE(k.match(t, hang.body, hang.release)) << t;
  // A pci_wait_cfg hang without the stuck nvme reset (the regression's lost wake-up) stays unexplained.
  std::string without = hang.body;
  for (size_t at; (at = without.find("nvme_reset_work")) != std::string::npos;) without.erase(at, 15);
  EXPECT_FALSE(k.match(hang.title, without, hang.release));
  // Neither entry explains the other's report.
  EXPECT_FALSE(k.match(hang.title, parsed->text, hang.release));
  EXPECT_FALSE(k.match(oops.title, hang.body, oops.release));
}
