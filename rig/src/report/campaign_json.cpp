#include <fmt/format.h>

#include "report/campaign_outputs.hpp"
#include "util/line_log.hpp"

namespace pcirig {

std::string report_json(const CampaignReport& r) {
  nlohmann::json j;
  j["campaign"] = r.uid;
  j["status"] = r.status;
  j["reason"] = r.reason;
  j["seed"] = r.seed;
  j["plan"] = r.plan;
  j["shard"] = r.shard;
  j["host"] = r.host;
  j["started"] = r.started;
  j["updated"] = r.updated;
  j["runs_done"] = r.runs.size();
  j["running"] = r.running;
  j["queued"] = r.queued;
  nlohmann::json titles = nlohmann::json::array();
  for (auto& g : group_by_title(r)) {
    nlohmann::json runs = nlohmann::json::array();
    for (auto* run : g.runs) runs.push_back(run->run_dir);
    titles.push_back({{"title", g.title}, {"new", g.is_new}, {"known", g.known}, {"count", g.runs.size()}, {"cells", g.cells}, {"runs", runs}});
  }
  j["crashes"] = titles;
  // The corpus bundles' re-checks; a bundle whose crash came back in no attempt is flagged.
  nlohmann::json repro = nlohmann::json::array();
  for (auto& run : r.runs)
    if (run.kind == "repro")
      repro.push_back({{"cell", run.cell}, {"title", run.repro_title}, {"result", run.result},
                       {"reproduced", run.repro_reproduced}, {"attempts", run.repro_attempts}, {"rate", run.repro_rate},
                       {"kernel", run.kernel}, {"run_dir", run.run_dir},
                       {"flag", run.repro_lost() ? nlohmann::json("corpus crash no longer reproduces") : nlohmann::json(nullptr)}});
  j["repro"] = repro;
  j["runs"] = r.runs;
  return j.dump(2) + "\n";
}

int write_campaign_reports(const CampaignReport& r, const std::filesystem::path& dir) {
  int e = write_file(dir / "report.json", report_json(r));
  if (int e2 = write_file(dir / "junit.xml", report_junit(r)); !e) e = e2;
  if (int e3 = write_file(dir / "report.html", report_html(r)); !e) e = e3;
  return e;
}
}  // namespace pcirig
