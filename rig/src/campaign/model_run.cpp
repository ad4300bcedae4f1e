#include <fmt/format.h>

#include <regex>
#include <sstream>

#include "campaign/child_process.hpp"
#include "campaign/run_cell.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

// The scheduler's command line: random and pct take the run's seed; dfs is exhaustive
// (no seed) and stops at the time limit; libfuzzer is fuzz/scripts/fuzz.sh, which merges
// what it finds into corpora/<variant>/ (libFuzzer's -fork runs are not seeded).
// Mainline's known findings (pcirig-model list-findings) are counted, not reported.
std::vector<std::string> model_argv(const CellContext& ctx, const PlanCell& c, uint64_t seed, const fs::path& dir) {
  std::string secs = fmt::format("{:.0f}", std::max(1.0, c.duration_s));
  std::string model = ctx.model_bin.string();
  std::string save = (dir / "report.pcirig").string();
  if (c.scheduler == "libfuzzer")
    return {(repo_root() / "fuzz" / "scripts" / "fuzz.sh").string(), "--variant", c.variant, "--time", secs, "--jobs", "1",
            "--skip-known"};
  if (c.scheduler == "dfs") return {model, "dfs", "--variant", c.variant, "--skip-known", "--save", save};
  return {model, c.scheduler, "--variant", c.variant, "--seed", std::to_string(seed), "--time", secs, "--skip-known",
          "--save", save};
}

// The first report's title in the output: "report after N runs: TITLE" from the
// schedulers, "crash-<hash>: TITLE" from fuzz.sh's crash list.
std::string report_title(const std::string& output) {
  static const std::regex sched(R"(^report after \d+ \w+: (.+)$)");
  static const std::regex fuzz(R"(^(crash|timeout|oom)-[0-9a-f]+: (.+)$)");
  std::istringstream in(output);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, sched)) return m[1];
    if (std::regex_match(line, m, fuzz) && m[2] != "no report") return m[2];
  }
  return "";
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, std::min<size_t>(end - (start == std::string::npos ? 0 : start + 1) + 1, 300));
}
}  // namespace

RunRecord run_model_cell(const CellContext& ctx, const PlannedRun& run) {
  const PlanCell& c = *run.cell;
  std::string name = fmt::format("{}-{}-r{}-model-{}-{}", utc_compact(), run.seed, run.index, c.variant, c.scheduler);
  // A resume within the second of the kill runs the same index with the same seed: a
  // new directory (as RunDir makes them), so the cut run's stays as it was left.
  fs::create_directories(ctx.campaign_dir / "runs");
  fs::path dir;
  for (int n = 0;; n++) {
    dir = ctx.campaign_dir / "runs" / (n == 0 ? name : fmt::format("{}.{}", name, n));
    if (fs::create_directory(dir)) break;
  }
  auto argv = model_argv(ctx, c, run.seed, dir);
  std::string cmd;
  for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  // "running" until it ends, as a guest run's: a directory the orchestrator's death cut
  // short says so (cut_runs.hpp marks it on --resume).
  nlohmann::json running = {{"result", "running"}, {"seed", run.seed}, {"started", utc_iso8601()}};
  if (write_file(dir / "command", cmd + "\n") == ENOSPC || write_file(dir / "result.json", running.dump(2) + "\n") == ENOSPC)
    throw std::runtime_error(fmt::format("cannot write in {}: the disk is full; no run started", dir.string()));
  double t0 = mono_seconds();
  // dfs has no time limit of its own; the others get a minute's grace past theirs.
  double limit = c.scheduler == "dfs" ? c.duration_s : c.duration_s + 60;
  ChildExit x = run_child(argv, dir / "output.log", limit, *ctx.stop);
  double secs = mono_seconds() - t0;
  std::string output = read_file_text(dir / "output.log");
  RunRecord rec;
  rec.kind = "model";
  rec.run_dir = fs::relative(dir, ctx.campaign_dir).string();
  rec.seconds = secs;
  std::string title = report_title(output);
  if (!title.empty()) {
    rec.result = "model_report";
    rec.title = fmt::format("model {}: {}", c.variant, title);
  } else if (ctx.stop->load()) {
    rec.result = "interrupted";
  } else if (x.code == 0 || (c.scheduler == "dfs" && x.timed_out)) {
    rec.result = "clean";
  } else {
    rec.result = "infra";
    rec.detail = x.signal ? fmt::format("killed by signal {}", x.signal) : fmt::format("exit {}: {}", x.code, last_line(output));
  }
  if (rec.detail.empty()) rec.detail = last_line(output);
  rec.kernel = "model " + c.variant;
  rec.kernel_identity = rec.kernel;
  rec.topology = c.scheduler;
  rec.config_hash = text_hash(fmt::format("{} {}", c.id, c.duration_s));
  nlohmann::json result = {{"result", rec.result}, {"title", rec.title}, {"seconds", secs}, {"exit_code", x.code},
                           {"signal", x.signal}, {"timed_out", x.timed_out}, {"command", cmd}, {"finished", utc_iso8601()}};
  // Its output may have been cut short by the full disk: not a finished run, it runs again.
  if (write_file(dir / "result.json", result.dump(2) + "\n") == ENOSPC)
    throw std::runtime_error(fmt::format("cannot write {}: the disk is full", (dir / "result.json").string()));
  return rec;
}
}  // namespace pcirig
