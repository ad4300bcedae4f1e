#include "campaign/merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "campaign/ledger.hpp"
#include "history/history_db.hpp"
#include "images/kernel_image.hpp"
#include "report/campaign_outputs.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

int merge_campaigns(const std::vector<std::string>& dirs, const fs::path& out_arg, const fs::path& history_path) {
  if (dirs.empty()) throw std::runtime_error("nightly merge: name the shards' campaign directories");
  CampaignReport rep;
  std::set<int> seen;
  std::vector<std::string> shards, statuses;
  nlohmann::json first;
  std::vector<std::pair<fs::path, RunRecord>> runs;  // shard dir, record
  for (auto& d : dirs) {
    auto meta = nlohmann::json::parse(read_file_text(fs::path(d) / "campaign.json"), nullptr, false);
    if (meta.is_discarded() || !meta.is_object())
      throw std::runtime_error(fmt::format("nightly merge: {}: no campaign.json (not a campaign directory)", d));
    if (first.is_null()) first = meta;
    if (meta.value("seed", uint64_t(0)) != first.value("seed", uint64_t(0)) ||
        meta.value("plan_hash", "") != first.value("plan_hash", ""))
      throw std::runtime_error(fmt::format("nightly merge: {} is not a shard of the same campaign as {} "
                                           "(seed or plan differ)", d, dirs[0]));
    shards.push_back(meta.value("shard", "") + " " + fs::path(d).filename().string());
    auto shard_report = nlohmann::json::parse(read_file_text(fs::path(d) / "report.json"), nullptr, false);
    statuses.push_back(shard_report.is_discarded() ? "unknown" : shard_report.value("status", "unknown"));
    for (auto& r : Ledger::read(fs::path(d) / "ledger.jsonl"))
      if (seen.insert(r.index).second) runs.emplace_back(fs::path(d), r);
  }
  fs::path out = out_arg.empty() ? repo_root() / "runs" / fmt::format("nightly-merged-{}-{}", utc_compact(),
                                                                      first.value("seed", uint64_t(0)))
                                 : out_arg;
  fs::create_directories(out);
  out = fs::canonical(out);
  std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.second.ended < b.second.ended; });
  HistoryDb history(history_path.empty() ? default_history_path() : history_path);
  std::string uid = first.value("uid", "");
  history.begin_campaign({uid, first.value("started", ""), first.value("plan", ""), first.value("plan_hash", ""),
                          "merge", out.string(), "merged", first.value("seed", uint64_t(0))});
  Ledger ledger(out / "ledger.jsonl");
  fs::remove(out / "ledger.jsonl");
  for (auto& [dir, r] : runs) {
    fs::path abs = fs::absolute(dir / r.run_dir);
    r.new_title = history.record_run(uid, r, abs.string());
    r.run_dir = fs::relative(abs, out).string();  // the merged page links into the shards' directories
    if (int e = ledger.append(r)) throw std::runtime_error(fmt::format("cannot write {}: {}", ledger.path().string(), e));
    rep.runs.push_back(r);
  }
  rep.uid = uid, rep.seed = first.value("seed", uint64_t(0)), rep.plan = first.value("plan", "");
  rep.host = "merged", rep.started = first.value("started", ""), rep.updated = utc_iso8601();
  for (auto& s : shards) rep.shard += (rep.shard.empty() ? "" : ", ") + s;
  bool all_finished = std::all_of(statuses.begin(), statuses.end(), [](auto& s) { return s == "finished"; });
  rep.status = all_finished ? "finished" : "partial";
  std::string st;
  for (size_t i = 0; i < statuses.size(); i++) st += (i ? ", " : "") + dirs[i] + ": " + statuses[i];
  rep.reason = fmt::format("{} shards merged ({})", dirs.size(), st);
  for (auto& c : first.value("cells", nlohmann::json::array())) rep.cells.push_back(c.get<std::string>());
  write_file(out / "campaign.json", nlohmann::json{{"merged_from", dirs}, {"uid", uid}, {"seed", rep.seed},
                                                   {"plan", rep.plan}, {"plan_hash", first.value("plan_hash", "")},
                                                   {"cells", first.value("cells", nlohmann::json::array())}}
                                        .dump(2) + "\n");
  if (int e = write_campaign_reports(rep, out))
    throw std::runtime_error(fmt::format("cannot write reports in {}: {}", out.string(), std::strerror(e)));
  auto groups = group_by_title(rep);
  fmt::print("merged {} shard(s) into {}: {} runs, {} crash title(s)\n", dirs.size(), out.string(), rep.runs.size(),
             groups.size());
  for (auto& g : groups) fmt::print("  {:>3}x {}{}\n", g.runs.size(), g.is_new ? "NEW " : "", g.title);
  bool lost = std::any_of(rep.runs.begin(), rep.runs.end(), [](auto& r) { return r.repro_lost(); });
  fmt::print("reports: {0}/report.html {0}/junit.xml {0}/report.json\n", out.string());
  return groups.empty() && !lost ? 0 : 1;
}
}  // namespace pcirig
