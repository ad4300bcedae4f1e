// JUnit XML as CI systems read it: a testcase per plan cell; a <failure> per crash title
// the cell hit, an <error> for infrastructure trouble, <skipped> for a cell not yet run.
// A repro cell fails when its corpus crash no longer reproduces. A known kernel report
// (corpora/known-reports.yaml) is no failure: it is listed in the cell's <system-out>.
#include <fmt/format.h>

#include <map>
#include <set>

#include "report/campaign_outputs.hpp"
#include "report/xml_escape.hpp"

namespace pcirig {

std::string report_junit(const CampaignReport& r) {
  struct Cell {
    std::vector<const RunRecord*> runs;
  };
  std::map<std::string, Cell> cells;
  for (auto& c : r.cells) cells[c];
  for (auto& run : r.runs) cells[run.cell].runs.push_back(&run);
  int failures = 0, errors = 0, skipped = 0;
  double total = 0;
  std::string body;
  for (auto& name : r.cells) {
    const Cell& c = cells[name];
    double secs = 0;
    std::map<std::string, std::vector<const RunRecord*>> by_title;
    std::vector<const RunRecord*> infra, lost;
    std::map<std::string, std::string> known;  // "<id>: <title>" -> run dirs
    for (auto* run : c.runs) {
      secs += run->seconds;
      if (run->crashed() && !run->known.empty())
        known[fmt::format("{}: {}", run->known, run->title)] += fmt::format("{} (seed {})\n", run->run_dir, run->seed);
      else if (run->crashed()) by_title[run->title].push_back(run);
      else if (run->result == "infra") infra.push_back(run);
      else if (run->repro_lost()) lost.push_back(run);
    }
    total += secs;
    std::string cls = name.substr(0, name.find(':'));
    body += fmt::format("    <testcase classname=\"pcirig.{}\" name=\"{}\" time=\"{:.1f}\">\n", xml_escape(cls),
                        xml_escape(name), secs);
    if (c.runs.empty()) {
      body += "      <skipped message=\"not run\"/>\n";
      skipped++;
    }
    for (auto& [title, runs] : by_title) {
      failures++;
      bool is_new = false;
      std::string list;
      for (auto* run : runs) is_new = is_new || run->new_title, list += fmt::format("{} (seed {})\n", run->run_dir, run->seed);
      body += fmt::format("      <failure type=\"{}\" message=\"{}{}\">{}</failure>\n", xml_escape(runs[0]->result),
                          is_new ? "NEW: " : "", xml_escape(title), xml_escape(list));
    }
    if (!lost.empty()) {
      failures++;
      std::string list;
      for (auto* run : lost) list += fmt::format("{}: 0/{} reproduced\n", run->run_dir, run->repro_attempts);
      body += fmt::format("      <failure type=\"not_reproduced\" message=\"corpus crash no longer reproduces: {}\">{}</failure>\n",
                          xml_escape(lost[0]->repro_title), xml_escape(list));
    }
    if (!infra.empty()) {
      errors++;
      std::string list;
      for (auto* run : infra) list += fmt::format("{}: {}\n", run->run_dir, run->detail);
      body += fmt::format("      <error type=\"infra\" message=\"{} run(s) ended on the rig, not the kernel\">{}</error>\n",
                          infra.size(), xml_escape(list));
    }
    std::string out = fmt::format("{} run(s)\n", c.runs.size());
    for (auto& [what, list] : known) out += fmt::format("known kernel report {}\n{}", what, list);
    body += fmt::format("      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(out));
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"pcirig nightly {}\" tests=\"{}\" "
      "failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.1f}\" timestamp=\"{}\">\n{}  </testsuite>\n</testsuites>\n",
      xml_escape(r.uid), r.cells.size(), failures, errors, skipped, total, xml_escape(r.started), body);
}
}  // namespace pcirig
