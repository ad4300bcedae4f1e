#include "images/kernel_image.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

fs::path cache_dir() {
  if (const char* c = std::getenv("PCIRIG_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "pcirig";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/root") / ".cache" / "pcirig";
}

fs::path repo_root() {
  if (const char* r = std::getenv("PCIRIG_ROOT"); r && *r) return r;
  // build/<dir>/rig/pcirig -> four levels up holds run.sh
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (fs::exists(p / "run.sh") && fs::exists(p / "guest-images")) return p;
  return fs::current_path();
}

static KernelImage read_image(const fs::path& json_path, const std::string& name) {
  KernelImage img;
  img.name = name;
  img.image_json = json_path;
  try {
    img.info = nlohmann::json::parse(read_file_text(json_path));
    img.kernel = img.info.at("kernel").get<std::string>();
    img.initramfs = img.info.at("initramfs").get<std::string>();
    if (img.info.contains("name")) img.name = img.info["name"].get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: not a valid image.json: {}", json_path.string(), e.what()));
  }
  for (auto& f : {img.kernel, img.initramfs})
    if (!fs::exists(f)) throw std::runtime_error(fmt::format("{}: names {}, which does not exist", json_path.string(), f.string()));
  return img;
}

KernelImage find_kernel_image(const std::string& name_or_path, bool build) {
  fs::path p(name_or_path);
  if (p.filename() == "image.json" || name_or_path.find('/') != std::string::npos) {
    if (fs::is_directory(p)) p /= "image.json";
    if (!fs::exists(p)) throw std::runtime_error(fmt::format("no image.json at {}", p.string()));
    return read_image(p, p.parent_path().filename().string());
  }
  fs::path json = cache_dir() / "images" / name_or_path / "image.json";
  if (build && !fs::exists(json)) {
    fs::path script = repo_root() / "guest-images" / "build.sh";
    if (!fs::exists(script))
      throw std::runtime_error(fmt::format("kernel image '{}' missing and no {} to build it", name_or_path, script.string()));
    std::string cmd = fmt::format("'{}' --kernel '{}' --if-needed 1>&2", script.string(), name_or_path);
    spdlog::info("kernel image '{}': {}", name_or_path, cmd);
    int rc = std::system(cmd.c_str());
    if (rc != 0 && !fs::exists(json))
      throw std::runtime_error(fmt::format("guest-images/build.sh --kernel {} failed (status {})", name_or_path, rc));
  }
  if (!fs::exists(json))
    throw std::runtime_error(fmt::format("kernel image '{}' not found: {} (build it: ./run.sh images --kernel {})",
                                         name_or_path, json.string(), name_or_path));
  return read_image(json, name_or_path);
}
}  // namespace pcirig
