#include "kconfig/config_check.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <mutex>

namespace fs = std::filesystem;
namespace pcirig {

namespace {
std::string module_name(std::string m) {
  std::replace(m.begin(), m.end(), '-', '_');
  return m;
}

bool is_elf(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char magic[4] = {};
  return f.read(magic, 4) && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}
}  // namespace

KconfigVerdict check_kernel_config(const KernelConfig& config, const std::set<std::string>& modules, const Topology& t,
                                   bool elf_boot) {
  KconfigVerdict v;
  for (const auto& r : kconfig_requirements()) {
    std::string why = requirement_reason(r, t, elf_boot);
    if (why.empty()) continue;
    std::string val = config.value(r.option);
    std::string state;
    if (val.empty()) {
      state = " is not set";
    } else if (val == "m") {
      if (r.module.empty())
        state = "=m, but it must be built in (=y)";
      else if (!modules.count(module_name(r.module)))
        state = fmt::format("=m, but the image's initramfs does not load {}", r.module);
    }
    if (state.empty()) continue;
    (r.required ? v.missing_required : v.missing_recommended).push_back({&r, why, state});
  }
  if (t.cmdline_extra.find("panic_on_warn=0") != std::string::npos)
    v.notes.push_back(fmt::format("{}: cmdline_extra sets panic_on_warn=0: a WARN no longer ends the run with its report",
                                  t.source));
  return v;
}

void check_image_kernel_config(const KernelImage& image, const Topology& t) {
  fs::path cfg = image.image_json.parent_path() / "config";
  if (!fs::exists(cfg)) {
    spdlog::warn("kernel '{}': no config beside {}: its options are not checked", image.name, image.image_json.string());
    return;
  }
  KernelConfig config = KernelConfig::read(cfg);
  std::set<std::string> modules;
  if (image.info.contains("modules") && image.info["modules"].is_array())
    for (const auto& m : image.info["modules"])
      if (m.is_string()) modules.insert(module_name(m.get<std::string>()));
  KconfigVerdict v = check_kernel_config(config, modules, t, is_elf(image.kernel));
  // Once per process for each kernel and option: a campaign or a compare checks every run.
  static std::mutex mu;
  static std::set<std::string> warned;
  auto first_time = [&](const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    return warned.insert(key).second;
  };
  for (const auto& f : v.missing_recommended)
    if (first_time(image.image_json.string() + " " + f.req->option))
      spdlog::warn("kernel '{}': CONFIG_{}{} (recommended: {})", image.name, f.req->option, f.state, f.reason);
  for (const auto& n : v.notes)
    if (first_time(n)) spdlog::warn("{}", n);
  if (v.missing_required.empty()) return;
  std::string msg = fmt::format("kernel '{}' ({}) lacks what this run needs; no guest started:", image.name, cfg.string());
  for (const auto& f : v.missing_required)
    msg += fmt::format("\n  CONFIG_{}{}: needed for {}", f.req->option, f.state, f.reason);
  if (std::any_of(v.missing_required.begin(), v.missing_required.end(), [](const KconfigFinding& f) { return f.state.starts_with("=m"); }))
    msg += "\n  (modules reach the initramfs from a --tree with its modules built; an --image carries none: build them in)";
  msg += "\n  (docs/kernel-config.md lists every option and what needs it)";
  throw KernelConfigError(msg);
}
}  // namespace pcirig
