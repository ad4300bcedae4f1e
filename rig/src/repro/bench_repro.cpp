#include "repro/bench_repro.hpp"

#include <fmt/format.h>

#include "repro/bundle.hpp"
#include "repro/repro_command.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

int bench_repro(const SessionOptions& base, const BenchReproOptions& o) {
  nlohmann::json j;
  fs::path crash = o.from;
  int looked = 0;
  for (int i = 0; crash.empty() && i < o.find_runs; i++) {
    SessionOptions s = base;
    s.topo.duration_s = o.find_limit_s;
    if (base.topo.seed) s.topo.seed = *base.topo.seed + uint64_t(i);
    s.tag = "bench-repro-find";
    s.status_line = false;
    SessionOutcome out = run_session(s);
    looked++;
    fmt::print("looking for the crash {}/{}: {} -> {}{}\n", i + 1, o.find_runs, out.run_dir.string(),
               out.result.value("result", "?"),
               out.result.contains("crash") ? " " + out.result["crash"].value("title", "") : std::string());
    std::fflush(stdout);
    if (out.result.value("end_cause", "") == "interrupted") return 2;
    if (out.exit_code == 1) {
      leave_crash_bundle(out.run_dir, out.result, false);
      crash = out.run_dir;
    }
  }
  if (crash.empty()) {
    fmt::print("no crash in {} run(s) of {:.0f} s: nothing to reproduce\n", looked, o.find_limit_s);
    return 2;
  }
  ReproRequest r;
  r.path = crash;
  r.options.attempts = o.attempts;
  r.options.time_limit_s = o.time_limit_s;
  r.time_limit_given = true;
  r.options.accel = base.accel;
  r.options.runs_dir = base.runs_dir;
  r.minimize = o.minimize;
  r.minimize_attempts = o.minimize_attempts;
  nlohmann::json v;
  int rc = run_repro(r, &v);
  j["crash_run"] = crash.string();
  j["runs_to_find_it"] = o.from.empty() ? nlohmann::json(looked) : nlohmann::json(nullptr);
  j["kernel"] = v["kernel"];
  j["title"] = v["original"]["title"];
  j["attempts"] = v["attempts"];
  j["reproduced"] = v["reproduced"];
  j["rate"] = v["rate"];
  j["time_limit_seconds"] = o.time_limit_s;
  j["target"] = "rate >= 0.8 (8 of 10) within 60 s each";
  j["target_met"] = v["rate"].get<double>() >= 0.8 && o.time_limit_s <= 60;
  j["median_seconds_to_crash"] = v["median_seconds_to_crash"];
  nlohmann::json times = nlohmann::json::array();
  for (const auto& a : v["per_attempt"]) times.push_back(a["seconds_to_crash"]);
  j["seconds_to_crash_per_attempt"] = times;
  j["rules"] = nlohmann::json::array();
  for (const auto& a : v["per_attempt"]) j["rules"].push_back(a["rule"]);
  j["other_titles"] = v["other_titles"];
  j["infra_failures"] = v["infra_failures"];
  if (v.contains("minimize")) {
    const auto& m = v["minimize"];
    j["original_size"] = m["original"];
    j["minimized_size"] = m["minimized"];
    j["minimize_steps"] = m["steps"].size();
    j["minimize_steps_kept"] = std::count_if(m["steps"].begin(), m["steps"].end(), [](const auto& s) { return s["kept"].template get<bool>(); });
    j["minimized_bundle"] = m["bundle"];
  }
  j["repro"] = v;
  std::string text = j.dump(2) + "\n";
  fmt::print("{}", text);
  if (!o.json_out.empty() && write_file(o.json_out, text) != 0) throw std::runtime_error("cannot write " + o.json_out);
  return rc == 2 ? 2 : 0;
}
}  // namespace pcirig
