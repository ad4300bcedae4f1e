#include "campaign/campaign.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "campaign/campaign_status.hpp"
#include "campaign/cell_topology.hpp"
#include "campaign/cut_runs.hpp"
#include "campaign/explain_plan.hpp"
#include "campaign/ledger.hpp"
#include "campaign/plan_world.hpp"
#include "campaign/run_cell.hpp"
#include "campaign/time_budget.hpp"
#include "cli/status_line.hpp"
#include "history/history_db.hpp"
#include "kconfig/config_check.hpp"
#include "report/campaign_outputs.hpp"
#include "util/clock.hpp"
#include "util/duration.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace pcirig {

fs::path model_binary() {
  if (const char* m = std::getenv("PCIRIG_MODEL_BIN"); m && *m) return m;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return exe.parent_path().parent_path() / "fuzz" / "pcirig-model";
}

namespace {

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

bool is_disk_full(const std::string& what) {
  return what.find("disk is full") != std::string::npos || what.find("No space left") != std::string::npos;
}

// Disk held back from the start of the campaign and let go only for its last reports, so
// a campaign ended by a full disk still says so (as RunDir does for a run's result.json).
constexpr long kReserveBytes = 512 << 10;

bool reserve_space(const fs::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::posix_fallocate(fd, 0, kReserveBytes) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) ::unlink(file.c_str());
  return ok;
}

// The state a campaign shares between its workers, the status line and the reports.
class Campaign {
 public:
  Campaign(const CampaignOptions& o, Plan plan, fs::path dir, nlohmann::json meta)
      : o_(o), plan_(std::move(plan)), dir_(std::move(dir)), meta_(std::move(meta)),
        order_(plan_, meta_["seed"].get<uint64_t>()), ledger_(dir_ / "ledger.jsonl"),
        shard_(meta_.value("shard", "").empty() ? Shard{} : parse_shard(meta_["shard"])) {}

  int run(KnownReports known);

 private:
  std::optional<PlannedRun> next_run();
  void worker();
  void finish_run(const PlannedRun& p, RunRecord rec, double t_start, const std::string& started);
  void stop(const std::string& status, const std::string& reason);
  void refresh_reports();  // caller holds mu_
  std::string status_text();
  double active_seconds() const { return spent_before_ + (mono_seconds() - t0_); }

  const CampaignOptions& o_;
  Plan plan_;
  fs::path dir_;
  nlohmann::json meta_;
  RunOrder order_;
  Ledger ledger_;
  Shard shard_;
  CellContext ctx_;
  std::unique_ptr<HistoryDb> history_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;  // everything below
  CampaignReport report_;
  std::set<int> done_;
  int next_index_ = 0, running_ = 0;
  double t0_ = 0, spent_before_ = 0, budget_s_ = 0;
  std::string stop_status_, stop_reason_;
};

void Campaign::stop(const std::string& status, const std::string& reason) {
  std::lock_guard lk(mu_);
  if (stop_status_.empty()) stop_status_ = status, stop_reason_ = reason;
  stopping_ = true;
}

// The next run this shard owes: the lowest index not done, within one round (no
// --hours) or until the time budget is spent.
std::optional<PlannedRun> Campaign::next_run() {
  std::lock_guard lk(mu_);
  for (;; next_index_++) {
    if (stopping_) return std::nullopt;
    if (!run_may_start(next_index_, order_.round_runs(), budget_s_, active_seconds())) {
      if (budget_s_ > 0 && stop_status_.empty())
        stop_status_ = "deadline", stop_reason_ = fmt::format("--hours {} spent", format_duration(budget_s_));
      return std::nullopt;
    }
    if (!shard_.holds(next_index_) || done_.count(next_index_)) continue;
    running_++;
    return order_.at(next_index_++);
  }
}

void Campaign::worker() {
  while (auto p = next_run()) {
    double t_start = active_seconds();
    std::string started = utc_iso8601();
    RunRecord rec;
    try {
      switch (p->cell->kind) {
        case PlanCell::Kind::vm: rec = run_vm_cell(ctx_, *p); break;
        case PlanCell::Kind::model: rec = run_model_cell(ctx_, *p); break;
        case PlanCell::Kind::repro: rec = run_repro_cell(ctx_, *p); break;
      }
    } catch (const std::exception& e) {
      if (is_disk_full(e.what())) {
        stop("disk_full", e.what());
        std::lock_guard lk(mu_);
        running_--;
        break;
      }
      rec.kind = cell_kind_name(p->cell->kind);
      rec.result = "infra";
      rec.detail = e.what();
    }
    finish_run(*p, std::move(rec), t_start, started);
  }
}

void Campaign::finish_run(const PlannedRun& p, RunRecord rec, double t_start, const std::string& started) {
  rec.index = p.index, rec.round = p.round, rec.cell = p.cell->id, rec.seed = p.seed;
  rec.started = started, rec.ended = utc_iso8601();
  rec.start_offset_s = t_start, rec.end_offset_s = active_seconds();
  if (rec.result == "interrupted") {
    // Cut short: not a finished run; --resume runs it again.
    stop("interrupted", "interrupted (Ctrl-C or SIGTERM)");
    std::lock_guard lk(mu_);
    running_--;
    refresh_reports();
    return;
  }
  // 1. The ledger, durably: from here on the run is never repeated.
  if (int e = ledger_.append(rec)) {
    stop(e == ENOSPC ? "disk_full" : "error", fmt::format("cannot append to {}: {}", ledger_.path().string(), std::strerror(e)));
    std::lock_guard lk(mu_);
    running_--;
    return;
  }
  // 2. The history (idempotent: a resume records the ledger again).
  try {
    rec.new_title = history_->record_run(meta_["uid"], rec, (dir_ / rec.run_dir).string());
  } catch (const std::exception& e) {
    spdlog::error("history: {}", e.what());
    if (is_disk_full(e.what())) stop("disk_full", e.what());
  }
  if (rec.detail == "disk_full") stop("disk_full", fmt::format("run {} found the disk full", rec.run_dir));
  std::lock_guard lk(mu_);
  running_--;
  done_.insert(rec.index);
  if (!o_.status_line)
    fmt::print("run #{} {} seed {}: {}{}{}{}\n", rec.index, rec.cell, rec.seed, rec.result,
               rec.crashed() ? ": " + rec.title : "", rec.new_title ? " (NEW)" : "",
               rec.kind == "repro" ? fmt::format(" {}/{}: {}", rec.repro_reproduced, rec.repro_attempts, rec.repro_title) : "");
  std::fflush(stdout);
  report_.runs.push_back(std::move(rec));
  refresh_reports();
}

void Campaign::refresh_reports() {
  report_.updated = utc_iso8601();
  report_.running = running_;
  int queued = 0;
  if (budget_s_ <= 0)
    for (int i = next_index_; i < order_.round_runs(); i++) queued += shard_.holds(i) && !done_.count(i);
  report_.queued = queued;
  if (int e = write_campaign_reports(report_, dir_); e)
    spdlog::warn("reports in {}: {}", dir_.string(), std::strerror(e));  // a full disk: the ledger still holds the runs
}

std::string Campaign::status_text() {
  std::lock_guard lk(mu_);
  CampaignStatus s;
  s.done = int(report_.runs.size()), s.running = running_;
  for (auto& r : report_.runs)
    if (r.crashed()) s.crashes[r.title]++;
  // Not started yet: the rest of the round (with --hours, of the round the last run started
  // belongs to; none once the time is spent).
  int round = order_.round_runs();
  int end = budget_s_ > 0 ? (std::max(0, next_index_ - 1) / round + 1) * round : round;
  if (budget_s_ > 0) s.left_s = budget_s_ - active_seconds();
  if (!s.left_s || *s.left_s > 0)
    for (int i = next_index_; i < end; i++) s.queued += shard_.holds(i) && !done_.count(i);
  return format_campaign_status(s);
}

int Campaign::run(KnownReports known) {
  ctx_.known = std::move(known);
  // Kernels first: a missing one is built (or refused) before any guest starts.
  std::set<std::string> kernels;
  for (auto& c : plan_.cells)
    if (c.kind == PlanCell::Kind::vm) kernels.insert(c.kernel);
  for (auto& k : kernels) ctx_.images[k] = find_kernel_image(k, true);
  // Each VM cell's kernel against its topology: a missing required option stops the campaign here.
  for (auto& c : plan_.cells)
    if (c.kind == PlanCell::Kind::vm) check_image_kernel_config(ctx_.images.at(c.kernel), cell_topology(plan_, c));
  ctx_.plan = &plan_;
  ctx_.campaign_dir = dir_;
  ctx_.model_bin = model_binary();
  ctx_.accel = o_.accel;
  ctx_.stop = &stopping_;

  if (!reserve_space(dir_ / ".reserve"))
    throw std::runtime_error(fmt::format("cannot reserve {} KiB in {}: the disk is full; no run started", kReserveBytes >> 10,
                                         dir_.string()));
  history_ = std::make_unique<HistoryDb>(o_.history.empty() ? default_history_path() : o_.history);
  CampaignInfo info{meta_["uid"], meta_["started"], plan_.source, meta_["plan_hash"], hostname(), dir_.string(),
                    meta_.value("shard", ""), meta_["seed"].get<uint64_t>()};
  history_->begin_campaign(info);

  report_.uid = meta_["uid"], report_.plan = plan_.source, report_.host = hostname(), report_.started = meta_["started"];
  report_.seed = meta_["seed"], report_.shard = meta_.value("shard", "");
  for (auto& c : plan_.cells) report_.cells.push_back(c.id);
  // A resume: the ledger's runs are done; the history hears of them again (a kill
  // between the ledger and the history loses nothing).
  for (auto& r : Ledger::read(ledger_.path())) {
    if (done_.count(r.index)) continue;
    r.new_title = history_->record_run(meta_["uid"], r, (dir_ / r.run_dir).string());
    done_.insert(r.index);
    spent_before_ = std::max(spent_before_, r.end_offset_s);
    report_.runs.push_back(r);
  }
  budget_s_ = o_.hours * 3600;
  t0_ = mono_seconds();
  if (!done_.empty()) fmt::print("resuming {}: {} runs already done\n", dir_.string(), done_.size());
  if (!o_.resume.empty()) {
    std::set<std::string> finished;
    for (auto& r : report_.runs) finished.insert(fs::path(r.run_dir).filename().string());
    if (int cut = mark_cut_runs(dir_ / "runs", finished))
      fmt::print("{} run(s) cut by the orchestrator's end marked \"cut\" (their cells run again)\n", cut);
  }
  int n = o_.parallel > 0 ? o_.parallel : default_parallel(plan_);
  fmt::print("campaign {} ({}): seed {}, {} cells, {} at once{}\n", dir_.string(), plan_.source,
             meta_["seed"].get<uint64_t>(), plan_.cells.size(), n,
             shard_.count > 1 ? fmt::format(", shard {}/{}", shard_.index, shard_.count) : "");
  std::fflush(stdout);
  {
    std::lock_guard lk(mu_);
    refresh_reports();
  }

  asio::io_context io;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) stop("interrupted", fmt::format("interrupted by signal {}", sig));
  });
  std::atomic<int> workers_left{n};
  std::vector<std::thread> workers;
  for (int i = 0; i < n; i++)
    workers.emplace_back([&] {
      worker();
      workers_left--;
    });
  StatusLine line;
  while (workers_left > 0) {
    io.run_for(std::chrono::milliseconds(500));
    if (o_.status_line) line.show(status_text());
  }
  for (auto& t : workers) t.join();
  line.clear();

  std::lock_guard lk(mu_);
  std::error_code ec;
  fs::remove(dir_ / ".reserve", ec);
  report_.status = stop_status_.empty() ? "finished" : stop_status_;
  report_.reason = stop_status_.empty() ? "every planned run done" : stop_reason_;
  refresh_reports();
  try {
    history_->end_campaign(meta_["uid"], utc_iso8601(), report_.status);
  } catch (const std::exception& e) {
    spdlog::error("history: {}", e.what());  // a full disk: the ledger and the reports hold the campaign
  }
  auto groups = group_by_title(report_);
  fmt::print("\ncampaign {}: {} ({}), {} runs\n", dir_.string(), report_.status, report_.reason, report_.runs.size());
  int unexplained = 0;  // a known kernel report alone does not fail the campaign
  for (auto& g : groups) {
    unexplained += g.known.empty();
    fmt::print("  {:>3}x {}{}  first: {}\n", g.runs.size(), g.is_new ? "NEW " : g.known.empty() ? "" : "known: " + g.known + " ",
               g.title, g.runs[0]->run_dir);
  }
  int lost = 0;
  for (auto& r : report_.runs)
    if (r.repro_lost()) lost++, fmt::print("  corpus crash no longer reproduces: {} ({}): {}\n", r.cell, r.run_dir, r.repro_title);
  fmt::print("reports: {0}/report.html {0}/junit.xml {0}/report.json\n", dir_.string());
  if (report_.status == "interrupted" || report_.status == "disk_full" || report_.status == "error") return 2;
  return unexplained == 0 && lost == 0 ? 0 : 1;
}

uint64_t random_seed() {
  std::random_device rd;
  return ((uint64_t(rd()) << 32) | rd()) >> 1;
}
}  // namespace

int run_campaign(const CampaignOptions& o) {
  PlanWorld world = this_machine_world(model_binary());
  // Known kernel reports, read once: a broken list is refused before anything is made.
  KnownReports known = load_known_reports_file(known_reports_path());
  fs::path dir;
  nlohmann::json meta;
  Plan plan;
  if (!o.resume.empty()) {
    dir = o.resume;
    auto text = read_file_text(dir / "campaign.json");
    meta = nlohmann::json::parse(text, nullptr, false);
    if (text.empty() || meta.is_discarded())
      throw std::runtime_error(fmt::format("--resume {}: no campaign.json (not a campaign directory)", o.resume));
    // The plan as the campaign started with it (the repo's file may have changed since),
    // with the kernels it was started with.
    world.kernels = meta.value("kernels", std::vector<std::string>{});
    plan = load_plan_file((dir / "plan.yaml").string(), world);
    plan.source = meta.value("plan", plan.source);
    if (meta.contains("cells") && meta["cells"].is_array()) {
      try {
        pin_cells(plan, meta["cells"].get<std::vector<std::string>>());
      } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format("--resume {}: {}", o.resume, e.what()));
      }
    }
  } else {
    std::string path = o.plan.empty() ? default_plan_path() : o.plan;
    world.kernels = o.kernels;
    plan = load_plan_file(path, world);
    uint64_t seed = o.seed ? *o.seed : plan.seed ? *plan.seed : random_seed();
    if (!o.shard.empty()) parse_shard(o.shard);  // refuse a bad one before anything is made
    if (o.explain) {
      fmt::print("{}", explain_plan(plan, seed, o.hours));
      return 0;
    }
    fs::path out = o.out_dir.empty() ? repo_root() / "runs" : o.out_dir;
    std::string plan_hash = text_hash(plan.text);
    std::string shard_tag = o.shard.empty() ? "" : "-shard" + o.shard.substr(0, o.shard.find('/'));
    dir = out / fmt::format("nightly-{}-{}{}", utc_compact(), seed, shard_tag);
    for (int n = 1; fs::exists(dir); n++) dir = out / fmt::format("nightly-{}-{}{}.{}", utc_compact(), seed, shard_tag, n);
    fs::create_directories(dir / "runs");
    // Shards of one campaign share its uid in the history: same seed and plan.
    std::string uid = !o.campaign_id.empty() ? o.campaign_id
                      : o.shard.empty()      ? dir.filename().string()
                                             : fmt::format("{}-{}", seed, plan_hash.substr(0, 8));
    meta = {{"uid", uid}, {"seed", seed}, {"plan", path}, {"plan_hash", plan_hash}, {"shard", o.shard},
            {"hours", o.hours}, {"accel", o.accel}, {"started", utc_iso8601()}, {"host", hostname()}};
    if (!o.kernels.empty()) meta["kernels"] = o.kernels;
    nlohmann::json cells = nlohmann::json::array();
    for (auto& c : plan.cells) cells.push_back(c.id);
    meta["cells"] = cells;  // what `nightly merge` lists, without the plan's kernels and variants at hand
    if (int e = write_file_durably(dir / "plan.yaml", plan.text); e)
      throw std::runtime_error(fmt::format("cannot write {}: {}", (dir / "plan.yaml").string(), std::strerror(e)));
    if (int e = write_file_durably(dir / "campaign.json", meta.dump(2) + "\n"); e)
      throw std::runtime_error(fmt::format("cannot write {}: {}", (dir / "campaign.json").string(), std::strerror(e)));
  }
  CampaignOptions eff = o;
  if (!o.resume.empty()) {  // the campaign's own settings; --parallel may change between sessions
    eff.hours = meta.value("hours", 0.0);
    if (eff.accel.empty()) eff.accel = meta.value("accel", "");
  }
  Campaign c(eff, std::move(plan), dir, meta);
  return c.run(std::move(known));
}
}  // namespace pcirig
