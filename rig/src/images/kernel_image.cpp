#include "images/kernel_image.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
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

namespace {
// Single quotes for sh -c.
std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// guest-images/build.sh --kernel NAME [ARGS] --if-needed; its messages go to stderr.
void run_image_build(const std::string& name, const std::string& args) {
  fs::path script = repo_root() / "guest-images" / "build.sh";
  if (!fs::exists(script))
    throw std::runtime_error(fmt::format("kernel image '{}' missing and no {} to build it", name, script.string()));
  std::string cmd = fmt::format("{} --kernel {}{} --if-needed 1>&2", sh_quote(script.string()), sh_quote(name), args);
  spdlog::info("kernel image '{}': {}", name, cmd);
  int rc = std::system(cmd.c_str());
  if (rc != 0)
    throw std::runtime_error(fmt::format("guest-images/build.sh --kernel {}{} failed (status {}; its error is above)", name,
                                         args, rc));
}

// The image name a kernel tree or file gets: its base name and a hash of its
// absolute path, so two trees called linux do not share an image.
std::string name_for_path(const std::string& prefix, const fs::path& p) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across runs and builds
  for (unsigned char c : p.string()) h = (h ^ c) * 1099511628211ull;
  std::string base;
  for (char c : p.filename().string()) base += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ? c : '-';
  return fmt::format("{}-{}-{:08x}", prefix, base.empty() ? "root" : base, uint32_t(h));
}
}  // namespace

KernelImage find_kernel_image(const std::string& name_or_path, bool build) {
  fs::path p(name_or_path);
  if (p.filename() == "image.json" || name_or_path.find('/') != std::string::npos) {
    std::error_code ec;
    // A kernel tree the user built, or a vmlinux/bzImage: packed into an image first.
    if (!fs::exists(p / "image.json") && !name_or_path.ends_with(".json") && fs::exists(p)) {
      fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
      bool tree = fs::is_directory(abs);
      if (!tree && !fs::is_regular_file(abs))
        throw std::runtime_error(fmt::format("--kernel {}: not a kernel tree, a vmlinux/bzImage or an image.json", name_or_path));
      std::string name = name_for_path(tree ? "tree" : "image", abs);
      if (build) run_image_build(name, fmt::format(" --{} {}", tree ? "tree" : "image", sh_quote(abs.string())));
      return find_kernel_image(name, false);
    }
    if (fs::is_directory(p)) p /= "image.json";
    if (!fs::exists(p)) throw std::runtime_error(fmt::format("no image.json at {}", p.string()));
    return read_image(p, p.parent_path().filename().string());
  }
  fs::path json = cache_dir() / "images" / name_or_path / "image.json";
  if (build && !fs::exists(json)) run_image_build(name_or_path, "");
  if (!fs::exists(json))
    throw std::runtime_error(fmt::format("kernel image '{}' not found: {} (build it: ./run.sh images --kernel {})",
                                         name_or_path, json.string(), name_or_path));
  return read_image(json, name_or_path);
}
}  // namespace pcirig
