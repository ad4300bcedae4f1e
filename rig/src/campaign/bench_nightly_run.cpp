#include "campaign/bench_nightly_run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "campaign/bench_nightly.hpp"
#include "campaign/campaign.hpp"
#include "campaign/usage_sampler.hpp"
#include "images/kernel_image.hpp"
#include "triage/known_reports.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

// Looks at the orchestrator every interval on a thread of its own until stopped.
class SamplerThread {
 public:
  explicit SamplerThread(double interval_s)
      : interval_(interval_s), thread_([this] { loop(); }) {}
  ~SamplerThread() { stop(); }
  std::vector<UsageSample> stop() {
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return samples_;
  }

 private:
  void loop() {
    UsageSampler s;
    double t0 = mono_seconds();
    std::unique_lock lk(mu_);
    for (;;) {
      lk.unlock();
      UsageSample x = s.sample(mono_seconds() - t0);
      lk.lock();
      samples_.push_back(x);
      if (cv_.wait_for(lk, std::chrono::duration<double>(interval_), [this] { return done_; })) break;
    }
  }
  double interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::vector<UsageSample> samples_;
  std::thread thread_;  // last: starts once the rest is set up
};

std::string figure(const nlohmann::json& v, const char* fmt_spec) {
  return v.is_number() ? fmt::format(fmt::runtime(fmt_spec), v.get<double>()) : std::string("-");
}

std::string verdict(const nlohmann::json& t) {
  return t["met"].is_null() ? "not measured" : t["met"].get<bool>() ? "met" : "MISSED";
}
}  // namespace

std::string bench_nightly_plan_path() { return (repo_root() / "rig" / "plans" / "bench-nightly.yaml").string(); }

namespace {
// The figures of a campaign directory, printed and written. rc: the campaign's exit, or
// -1 when re-scored (the directory's own bench-nightly.json is left as it was printed).
int write_figures(const fs::path& dir, const BenchNightlyOptions& o, int rc);
}  // namespace

int run_bench_nightly(const BenchNightlyOptions& o) {
  if (!o.rescore.empty()) {
    if (!fs::exists(o.rescore / "ledger.jsonl"))
      throw std::runtime_error(fmt::format("--rescore {}: no ledger.jsonl (not a campaign directory)", o.rescore.string()));
    return write_figures(o.rescore, o, -1);
  }
  if (o.minutes <= 0) throw std::runtime_error("--minutes: must be above 0");
  if (o.parallel < 1) throw std::runtime_error("--parallel: must be 1 or more");
  // The bench's own directory: the campaign directory and its own history, so a bench
  // neither lands in the team's history nor takes its titles' "new".
  fs::path out = o.out_dir.empty() ? repo_root() / "runs" : o.out_dir;
  fs::path bench = out / fmt::format("bench-nightly-{}", utc_compact());
  for (int n = 1; fs::exists(bench); n++) bench = out / fmt::format("bench-nightly-{}.{}", utc_compact(), n);
  fs::create_directories(bench);

  CampaignOptions c;
  c.plan = o.plan.empty() ? bench_nightly_plan_path() : o.plan;
  c.hours = o.minutes / 60;
  c.parallel = o.parallel;
  c.seed = o.seed;
  c.accel = o.accel;
  c.kernels = o.kernels;
  c.out_dir = bench;
  c.history = bench / "history.sqlite";
  c.status_line = isatty(STDERR_FILENO);

  int rc = 2;
  std::vector<UsageSample> samples;
  {
    SamplerThread sampler(o.sample_interval_s);
    try {
      rc = run_campaign(c);
    } catch (...) {
      sampler.stop();
      std::error_code ec;
      if (fs::is_empty(bench, ec)) fs::remove(bench, ec);  // refused before anything was made
      throw;
    }
    samples = sampler.stop();
  }
  fs::path dir;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(bench, ec))
    if (e.is_directory() && e.path().filename().string().starts_with("nightly-")) dir = e.path();
  if (dir.empty()) throw std::runtime_error(fmt::format("{}: the campaign left no directory", bench.string()));

  std::string lines;
  for (auto& s : samples) lines += nlohmann::json(s).dump() + "\n";
  if (write_file(dir / "bench-usage.jsonl", lines) != 0) throw std::runtime_error("cannot write " + (dir / "bench-usage.jsonl").string());
  return write_figures(dir, o, rc);
}

namespace {
int write_figures(const fs::path& dir, const BenchNightlyOptions& o, int rc) {
  KnownReports known = load_known_reports_file(known_reports_path());
  nlohmann::json j = bench_nightly_figures(dir, o.parallel, {}, &known);
  if (rc >= 0) j["minutes"] = o.minutes, j["campaign_exit"] = rc;
  else j["rescored"] = utc_iso8601();
  const auto& t = j["targets"];
  const auto& orch = j["orchestrator"];
  fmt::print("\nbench nightly: {} runs in {:.1f} min on {} slots: {} runs/hour\n", j["runs_finished"].get<int>(),
             j["wall_seconds"].get<double>() / 60, o.parallel, figure(j["runs_per_hour"], "{:.1f}"));
  auto pct = [](const nlohmann::json& v) { return v.is_number() ? fmt::format("{:.1f}", 100 * v.get<double>()) : std::string("-"); };
  fmt::print("  slots' time: boot {} %, workload {} %, teardown {} %, idle {} %; starts {}\n", pct(j["share"]["boot"]),
             pct(j["share"]["workload"]), pct(j["share"]["teardown"]), pct(j["share"]["idle"]), j["start_modes"].dump());
  fmt::print("  orchestrator with {} guests: {} % of a core over {:.0f} s, peak RSS {} MB\n", o.parallel,
             figure(orch["cpu_percent_with_n_guests"], "{:.2f}"), orch["seconds_with_n_guests"].get<double>(),
             figure(orch["rss_peak_mb_with_n_guests"], "{:.1f}"));
  for (auto& cr : j["crashes"])
    fmt::print("  crash {}x {} ({}), first at {:.0f} s\n", cr["count"].get<int>(), cr["title"].get<std::string>(),
               fmt::join(cr["cells"].get<std::vector<std::string>>(), ", "), cr["first_seconds"].get<double>());
  fmt::print("  fixed-kernel reports: {} ({} known kernel bugs, {} unexplained)\n", j["fixed"]["reports"].get<int>(),
             j["fixed"]["known_reports"].get<int>(), j["fixed"]["unexplained_reports"].get<int>());
  for (auto& [k, v] : t.items())
    fmt::print("  target {}: {} (limit {}): {}\n", k, figure(v["value"], "{:.3g}"), v["limit"].dump(), verdict(v));
  std::string text = j.dump(2) + "\n";
  fmt::print("{}", text);
  if (rc >= 0 && write_file(dir / "bench-nightly.json", text) != 0)
    throw std::runtime_error("cannot write " + (dir / "bench-nightly.json").string());
  if (!o.json_out.empty() && write_file(o.json_out, text) != 0) throw std::runtime_error("cannot write " + o.json_out);
  return rc == 2 ? 2 : 0;
}
}  // namespace
}  // namespace pcirig
