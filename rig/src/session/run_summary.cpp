#include "session/run_summary.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "util/median.hpp"

namespace pcirig {

void print_run_summary(const SessionOutcome& o) {
  const auto& r = o.result;
  fmt::print("pcirig: {} -> {} (exit {})\n", o.run_dir.string(), r.value("result", "?"), o.exit_code);
  fmt::print("  seed {}  accel {}  kernel {} {}  ready {:.2f} s  ran {:.1f} s\n", r.value("seed", uint64_t(0)),
             r.value("accel", ""), r["kernel"].value("name", ""), r["kernel"].value("release", ""),
             r.value("ready_seconds", -1.0), r.value("run_seconds", 0.0));
  if (r.contains("hotplug")) {
    const auto& h = r["hotplug"];
    auto ms = [](const std::vector<double>& v) { return v.empty() ? std::string("-") : fmt::format("{:.0f} ms", median(v)); };
    fmt::print("  hot-plug: {} plugged, {} unplugged, {} unplug timeouts, {} plug failures; median plug {}, unplug {}\n",
               h.value("plugged", 0), h.value("unplugged", 0), h.value("unplug_timeouts", 0), h.value("plug_failures", 0),
               ms(o.hotplug.plug_ms), ms(o.hotplug.unplug_ms));
  }
  if (r.contains("agent")) {
    const auto& a = r["agent"];
    // Rates need two stats samples; a run that crashed within a second has none.
    auto rate = [](const std::vector<double>& v) { return v.empty() ? std::string("-") : fmt::format("{:.0f}", median(v)); };
    fmt::print("  guest: {} config reads ({}/s median), {} resets ({}/s), {} vfio cycles, {} ENODEV\n",
               a.value("config_reads", 0), rate(o.reads_per_s), a.value("resets", 0), rate(o.resets_per_s),
               a.value("vfio_cycles", 0), a.value("enodev", 0));
  }
  if (r.contains("crash"))
    fmt::print("  CRASH: {}{}\n", r["crash"].value("title", ""), r["crash"].value("corrupted", false) ? " (corrupted)" : "");
  if (r.contains("infra")) {
    fmt::print("  INFRA: {} {}\n", r["infra"].value("kind", ""), r["infra"]["detail"].dump());
    std::string tail = r["infra"].value("stderr_tail", "");
    if (!tail.empty()) fmt::print("  qemu stderr: {}\n", tail.substr(tail.size() > 400 ? tail.size() - 400 : 0));
  }
  std::fflush(stdout);  // a bench's log, piped to a file, shows each run as it ends
}

}  // namespace pcirig
