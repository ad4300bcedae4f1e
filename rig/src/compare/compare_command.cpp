#include "compare/compare_command.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>
#include <random>

#include "compare/compare_verdict.hpp"
#include "images/kernel_image.hpp"
#include "kconfig/config_check.hpp"
#include "report/crash_timing.hpp"
#include "session/session.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

double host_load1() {
  std::ifstream f("/proc/loadavg");
  double l = 0;
  f >> l;
  return l;
}

fs::path new_compare_dir(const fs::path& runs_dir) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now));
  fs::path d = runs_dir / fmt::format("compare-{}", stamp);
  for (int i = 2; fs::exists(d); i++) d = runs_dir / fmt::format("compare-{}-{}", stamp, i);
  fs::create_directories(d);
  return d;
}

CompareSubject subject(const KernelImage& k) {
  return {k.name, k.info.value("kernel_release", ""), k.info.value("cache_key", "")};
}
}  // namespace

int run_compare(const CompareOptions& o) {
  if (o.runs < 1) throw std::runtime_error("--runs must be at least 1");
  if (o.time_s <= 0) throw std::runtime_error("--time must be positive");
  // Both kernels built and checked against the config before any guest starts.
  KernelImage base = find_kernel_image(o.base, true), cand = find_kernel_image(o.candidate, true);
  check_image_kernel_config(base, o.topo);
  check_image_kernel_config(cand, o.topo);
  uint64_t seed0 = o.topo.seed ? *o.topo.seed : std::random_device{}() | (uint64_t(std::random_device{}()) << 32);
  fs::path dir = new_compare_dir(o.runs_dir);
  fmt::print("compare: base {} ({}), candidate {} ({}); {} pairs of up to {:.0f} s on {}, seeds {}..{}\n  runs in {}\n",
             base.name, base.info.value("kernel_release", ""), cand.name, cand.info.value("kernel_release", ""), o.runs,
             o.time_s, o.topo.source, seed0, seed0 + o.runs - 1, dir.string());
  std::fflush(stdout);

  std::vector<CompareRun> runs;
  bool interrupted = false;
  for (int i = 0; i < o.runs && !interrupted; i++) {
    for (const char* side : {"base", "candidate"}) {
      const KernelImage& k = std::string(side) == "base" ? base : cand;
      SessionOptions so;
      so.topo = o.topo;
      so.topo.seed = seed0 + uint64_t(i);
      so.topo.duration_s = o.time_s;
      so.image = k;
      so.accel = o.accel;
      so.runs_dir = dir;
      so.tag = fmt::format("{}-{}", side, i);
      so.status_line = o.status_line;
      CompareRun r;
      r.side = side;
      r.index = i;
      r.seed = *so.topo.seed;
      r.load_start = host_load1();
      SessionOutcome out = run_session(so);
      const auto& res = out.result;
      r.result = res.value("result", "infra");
      if (r.result == "kernel_crash") r.result = "crash";  // result.json's word for it (compare_verdict.hpp)
      if (res.value("end_cause", "") == "interrupted") r.result = "interrupted";
      if (res.contains("crash")) r.title = res["crash"].value("title", "");
      r.seconds = res.value("run_seconds", 0.0);
      // A crash's time is its first report's, not the run's end: the guest may take
      // seconds to panic, and the duration can end meanwhile.
      if (r.result == "crash") {
        CrashTiming t = crash_timing_from_journal(read_file_text(out.run_dir / "journal.jsonl"));
        if (t.seconds >= 0) r.seconds = std::min(r.seconds, t.seconds);
      }
      r.load_max = res.value("host_load_max", 0.0);
      r.run_dir = out.run_dir.string();
      fmt::print("  pair {}/{} {:9} seed {}: {}{} after {:.1f} s (host load {:.2f}, max {:.2f})\n", i + 1, o.runs, side,
                 r.seed, r.result, r.title.empty() ? "" : " \"" + r.title + "\"", r.seconds, r.load_start, r.load_max);
      std::fflush(stdout);
      runs.push_back(r);
      if (r.result == "interrupted") {
        interrupted = true;
        break;
      }
    }
  }
  CompareVerdict v = compare_verdict(runs, subject(base), subject(cand));
  v.json["config"] = o.topo.source;
  v.json["time_limit_seconds"] = o.time_s;
  v.json["pairs"] = o.runs;
  v.json["seed"] = seed0;
  v.json["interleaved"] = "base, candidate per pair, same seed";
  std::string text = v.json.dump(2) + "\n";
  if (write_file(dir / "compare.json", text) != 0) throw std::runtime_error("cannot write " + (dir / "compare.json").string());
  if (!o.json_out.empty() && write_file(o.json_out, text) != 0) throw std::runtime_error("cannot write " + o.json_out);
  fmt::print("verdict: {}\n{}\n  json: {}\n", v.verdict, v.sentence, (dir / "compare.json").string());
  return interrupted ? 2 : 0;
}
}  // namespace pcirig
