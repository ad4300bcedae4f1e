#include "campaign/plan_world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "campaign/cell_topology.hpp"
#include "images/kernel_image.hpp"

namespace fs = std::filesystem;
namespace pcirig {

bool kernel_known(const std::string& k, std::string& why) {
  if (k.find('/') != std::string::npos || k.ends_with(".json")) {
    if (fs::exists(k)) return true;
    why = "no such image.json";
    return false;
  }
  if (fs::exists(cache_dir() / "images" / k / "image.json")) return true;
  // Names guest-images/build.sh can build: debian, or fixed|regression with flavours
  // from guest-images/control/fragments/ joined by '+'.
  std::string base = k.substr(0, k.find('-'));
  std::string flavours = k.find('-') == std::string::npos ? "" : k.substr(k.find('-') + 1);
  if (base == "debian" && flavours.empty()) return true;
  if (base == "fixed" || base == "regression") {
    std::stringstream ss(flavours);
    std::string f;
    while (!flavours.empty() && std::getline(ss, f, '+')) {
      // A source series (regression-6.12): Debian's linux-source-X.Y, not a fragment.
      if (std::all_of(f.begin(), f.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) &&
          std::count(f.begin(), f.end(), '.') == 1 && f.front() != '.' && f.back() != '.')
        continue;
      if (!fs::exists(repo_root() / "guest-images" / "control" / "fragments" / (f + ".config"))) {
        why = fmt::format("no flavour '{}' (guest-images/control/fragments/{}.config)", f, f);
        return false;
      }
    }
    return true;
  }
  why = "not built in $PCIRIG_CACHE/images/ and not a name guest-images/build.sh builds "
        "(debian, fixed, regression, optionally -lockdep, -kasan, -lockdep+kasan, -6.12)";
  return false;
}

PlanWorld this_machine_world(const fs::path& model_bin) {
  PlanWorld w;
  w.kernel_known = &kernel_known;
  if (!fs::exists(model_bin)) return w;
  std::string cmd = fmt::format("'{}' list-variants 2>/dev/null", model_bin.string());
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) {
      std::string name(buf);
      name = name.substr(0, name.find_first_of(" \t\n"));
      if (!name.empty()) w.variants.push_back(name);
    }
    ::pclose(p);
  }
  return w;
}

int default_parallel(const Plan& plan) {
  int cores = std::max(1u, std::thread::hardware_concurrency());
  long avail_mb = 0;
  std::ifstream mi("/proc/meminfo");
  std::string key;
  long kb;
  std::string unit;
  while (mi >> key >> kb) {
    std::getline(mi, unit);
    if (key == "MemAvailable:") avail_mb = kb / 1024;
  }
  int guest_mb = 0;
  for (auto& c : plan.cells)
    if (c.kind == PlanCell::Kind::vm) guest_mb = std::max(guest_mb, cell_topology(plan, c).memory_mb);
    else if (c.kind == PlanCell::Kind::repro)
      guest_mb = std::max(guest_mb, load_topology_file((fs::path(c.bundle) / "config.yaml").string()).memory_mb);
  if (guest_mb == 0) return cores;
  // QEMU's own overhead beside the guest's RAM, and 1 GiB kept for the host.
  long fit = (avail_mb - 1024) / (guest_mb + 256);
  return int(std::clamp<long>(fit, 1, cores));
}
}  // namespace pcirig
