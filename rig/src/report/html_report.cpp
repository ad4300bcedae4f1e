// report.html: one page with everything inline (style, SVG), so it can be mailed or
// archived as it is; links to each run's console and journal are relative to the
// campaign directory the page sits in.
#include <fmt/format.h>

#include "report/campaign_outputs.hpp"
#include "report/svg_chart.hpp"
#include "report/xml_escape.hpp"

namespace pcirig {
namespace {

const char* kStyle = R"(body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#eee}.new{background:#c00;color:#fff;padding:0 4px;border-radius:3px;font-size:11px}
.known{background:#777;color:#fff;padding:0 4px;border-radius:3px;font-size:11px}
.kernel_crash,.model_report,.not_reproduced{color:#c00}.infra{color:#a60}.clean,.reproduced{color:#080}
.chart .axis{stroke:#444}.chart .series{fill:none;stroke:#36c;stroke-width:1.5}.chart .pt{fill:#36c}
.chart .crash{fill:#c00;stroke:#600}.chart .ct{font-weight:bold}.chart .tick{font-size:11px;fill:#555}
.charts{display:flex;flex-wrap:wrap;gap:1em}code{font-size:12px})";

// The files a run leaves that a person opens first.
std::vector<std::pair<std::string, std::string>> run_links(const RunRecord& r) {
  if (r.kind == "model") return {{"output", r.run_dir + "/output.log"}, {"result", r.run_dir + "/result.json"}};
  if (r.kind == "repro") return {{"verdict", r.run_dir + "/repro.json"}};
  return {{"console", r.run_dir + "/console.log"}, {"journal", r.run_dir + "/journal.jsonl"}};
}

std::string links(const RunRecord& r) {
  std::string s;
  for (auto& [name, href] : run_links(r))
    s += fmt::format("<a class=\"runlink\" href=\"{}\">{}</a> ", xml_escape(href), name);
  return s;
}
}  // namespace

std::string report_html(const CampaignReport& r) {
  auto groups = group_by_title(r);
  int crashes = 0, infra = 0, fresh = 0, known = 0;
  for (auto& run : r.runs) crashes += run.crashed(), infra += run.result == "infra";
  for (auto& g : groups) fresh += g.is_new, known += !g.known.empty();
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  // A page left open in a browser follows a running campaign.
  if (r.status == "running") h += "<meta http-equiv=\"refresh\" content=\"60\">\n";
  h += fmt::format("<title>pcirig nightly {}</title>\n<style>{}</style></head>\n<body data-status=\"{}\">\n",
                   xml_escape(r.uid), kStyle, xml_escape(r.status));
  h += fmt::format("<h1>pcirig nightly {}</h1>\n<table id=\"summary\">\n", xml_escape(r.uid));
  auto row = [&](const std::string& k, const std::string& v) {
    h += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", k, v);
  };
  row("status", xml_escape(r.status) + (r.reason.empty() ? "" : ": " + xml_escape(r.reason)));
  row("plan", "<code>" + xml_escape(r.plan) + "</code>");
  row("campaign seed", std::to_string(r.seed));
  if (!r.shard.empty()) row("shard", xml_escape(r.shard));
  row("host", xml_escape(r.host));
  row("started / updated", xml_escape(r.started) + " / " + xml_escape(r.updated));
  row("runs", fmt::format("{} done, {} running, {} queued", r.runs.size(), r.running, r.queued));
  row("crashes", fmt::format("{} in {} title{} ({} new, {} known kernel reports); {} infrastructure", crashes,
                             groups.size(), groups.size() == 1 ? "" : "s", fresh, known, infra));
  int rechecked = 0, lost = 0;
  for (auto& run : r.runs) rechecked += run.kind == "repro", lost += run.repro_lost();
  if (rechecked) row("corpus", fmt::format("{} bundle run{} re-checked, {} no longer reproduc{}", rechecked,
                                           rechecked == 1 ? "" : "s", lost, lost == 1 ? "es" : "e"));
  h += "</table>\n<h2>Crashes by title</h2>\n<table id=\"crashes\">\n"
       "<tr><th>title</th><th>runs</th><th>cells</th><th>first run</th></tr>\n";
  for (auto& g : groups) {
    std::string cells;
    for (auto& c : g.cells) cells += (cells.empty() ? "" : "<br>") + xml_escape(c);
    h += fmt::format("<tr class=\"crash-row\"><td>{}{}</td><td>{}</td><td>{}</td><td><code>{}</code> {}</td></tr>\n",
                     g.is_new             ? "<span class=\"new\">NEW</span> "
                     : !g.known.empty() ? "<span class=\"known\">known: " + xml_escape(g.known) + "</span> "
                                        : "",
                     xml_escape(g.title), g.runs.size(), cells,
                     xml_escape(g.runs[0]->run_dir), links(*g.runs[0]));
  }
  if (groups.empty()) h += "<tr><td colspan=\"4\">no crashes</td></tr>\n";
  h += "</table>\n";
  if (rechecked) {
    h += "<h2>Corpus crashes re-checked</h2>\n<table id=\"repro\">\n"
         "<tr><th>cell</th><th>crash</th><th>reproduced</th><th>kernel</th><th>verdict</th></tr>\n";
    for (auto& run : r.runs) {
      if (run.kind != "repro") continue;
      std::string what = run.repro_lost() ? "<span class=\"new\">corpus crash no longer reproduces</span>"
                                          : xml_escape(run.result == "reproduced" ? "reproduces" : run.result + ": " + run.detail);
      h += fmt::format("<tr class=\"repro-row{}\"><td>{}</td><td>{}</td><td>{}/{} ({:.0f}%)</td><td>{}</td>"
                       "<td class=\"{}\">{}</td></tr>\n",
                       run.repro_lost() ? " lost" : "", xml_escape(run.cell), xml_escape(run.repro_title),
                       run.repro_reproduced, run.repro_attempts, 100 * run.repro_rate, xml_escape(run.kernel),
                       xml_escape(run.result), what + " " + links(run));
    }
    h += "</table>\n";
  }
  h += "<h2>Over time</h2>\n<div class=\"charts\">\n";
  std::vector<ChartPoint> reads, resets, plugs;
  for (auto& run : r.runs) {
    if (run.kind != "vm") continue;
    std::string label = fmt::format("#{} {} {}{}", run.index, run.cell, run.result, run.crashed() ? ": " + run.title : "");
    double t = run.end_offset_s / 60;
    reads.push_back({t, run.reads_per_s, run.crashed(), label});
    resets.push_back({t, run.resets_per_s, run.crashed(), label});
    plugs.push_back({t, double(run.plug_cycles), run.crashed(), label});
  }
  h += svg_chart("chart-reads", "config reads", "per second, median of the run", reads);
  h += svg_chart("chart-resets", "resets", "per second, median of the run", resets);
  h += svg_chart("chart-plugs", "plug cycles", "per run", plugs);
  h += "</div>\n<h2>Runs</h2>\n<table id=\"runs\">\n<tr><th>#</th><th>cell</th><th>seed</th><th>result</th>"
       "<th>seconds</th><th>ended</th><th>files</th></tr>\n";
  for (auto& run : r.runs) {
    std::string what = run.crashed()            ? run.title
                       : run.result == "infra"   ? "infra: " + run.detail
                       : run.kind == "repro"     ? fmt::format("{} {}/{}: {}", run.result, run.repro_reproduced,
                                                               run.repro_attempts, run.repro_title)
                                                 : run.result;
    h += fmt::format("<tr class=\"run-row\"><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{:.0f}</td>"
                     "<td>{}</td><td>{}</td></tr>\n",
                     run.index, xml_escape(run.cell), run.seed, xml_escape(run.result), xml_escape(what), run.seconds,
                     xml_escape(run.ended), links(run));
  }
  h += "</table>\n</body></html>\n";
  return h;
}
}  // namespace pcirig
