#include "report/crash_timing.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

namespace pcirig {

CrashTiming crash_timing_from_journal(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  double qemu = -1, storm = -1, report = -1;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j["t"].is_number() || !j.contains("ev") ||
        !j["ev"].is_string())
      continue;
    double t = j["t"].get<double>();
    std::string ev = j["ev"];
    if (ev == "qemu_start" && qemu < 0) qemu = t;
    // The storm's start; a run without hot-plug has none, and its workload start counts.
    if ((ev == "storm_start" || (ev == "workload" && storm < 0))) storm = t;
    if (ev == "kernel_report" && report < 0) report = t;
  }
  CrashTiming c;
  if (report < 0) return c;
  if (storm >= 0 && report >= storm) return {report - storm, "storm"};
  return {report - std::max(qemu, 0.0), "boot"};
}

}  // namespace pcirig
