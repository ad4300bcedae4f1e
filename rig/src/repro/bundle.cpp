#include "repro/bundle.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "repro/repro_source.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

constexpr const char* kKernelFile = "kernel/vmlinux";
constexpr const char* kInitramfsFile = "kernel/initramfs.cpio.gz";
constexpr size_t kExcerptBytes = 64 << 10;
constexpr int kLinesBeforeReport = 30;

// The report and the lines that led to it: the run's console from kLinesBeforeReport
// lines before the report's first line, at most kExcerptBytes from the end.
std::string console_excerpt(const fs::path& run_dir, const nlohmann::json& result) {
  std::string console = fs::exists(run_dir / "console.log") ? read_file_text(run_dir / "console.log") : "";
  std::string report = result.contains("crash") ? result["crash"].value("report", "") : "";
  size_t from = console.size() > kExcerptBytes ? console.size() - kExcerptBytes : 0;
  std::string first = report.substr(0, report.find('\n'));
  // The report's lines carry the console's timestamps, so its first line is found as it is.
  if (size_t at = first.empty() ? std::string::npos : console.find(first); at != std::string::npos) {
    size_t start = at;
    for (int n = 0; n < kLinesBeforeReport && start > 0; n++) {
      size_t nl = start >= 2 ? console.rfind('\n', start - 2) : std::string::npos;
      start = nl == std::string::npos ? 0 : nl + 1;
    }
    from = std::max(from, start);
  }
  std::string out = console.substr(from);
  return out.empty() ? report : out;
}

nlohmann::json workload_json(const Topology& t, uint64_t seed) {
  const Workload& w = t.workload;
  nlohmann::json j = {{"seed", seed}, {"readers", w.readers}, {"resetters", w.resetters}, {"rescanners", w.rescanners},
                      {"binders", w.binders}, {"vfio", w.vfio}, {"reset_interval_ms", w.reset_interval_ms},
                      {"read_sizes", w.read_sizes}, {"pin_cpus", w.pin_cpus}, {"readers_on", w.readers_on},
                      {"reset_method", w.reset_method}, {"match", w.match}};
  return j;
}

void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
}
}  // namespace

void check_bundle_manifest(const fs::path& bundle) {
  fs::path f = bundle / kBundleManifest;
  auto j = nlohmann::json::parse(read_file_text(f), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ReproInputError(fmt::format("{}: corrupt: not a JSON object", f.string()));
  if (!j.contains("format") || !j["format"].is_number_integer() || j["format"].get<int>() != kBundleFormat)
    throw ReproInputError(fmt::format("{}: not a bundle of format {}", f.string(), kBundleFormat));
}

std::optional<KernelImage> bundled_kernel(const fs::path& bundle, const nlohmann::json& identity) {
  if (!fs::exists(bundle / kKernelFile) && !fs::exists(bundle / kInitramfsFile)) return std::nullopt;
  for (const char* f : {kKernelFile, kInitramfsFile})
    if (!fs::is_regular_file(bundle / f))
      throw ReproInputError(fmt::format("{}: missing (the bundle carries half a kernel)", (bundle / f).string()));
  KernelImage img;
  img.name = identity.value("name", "");
  img.kernel = fs::absolute(bundle / kKernelFile);
  img.initramfs = fs::absolute(bundle / kInitramfsFile);
  img.image_json = bundle / "image.json";
  img.info = identity;
  img.info["kernel"] = img.kernel.string();
  img.info["initramfs"] = img.initramfs.string();
  return img;
}

fs::path write_bundle(const fs::path& run_dir, fs::path out, bool with_kernel) {
  ReproSource src = load_repro_source(run_dir);
  if (src.is_bundle) throw ReproInputError(fmt::format("{}: already a bundle", run_dir.string()));
  if (out.empty()) out = run_dir / "bundle";
  std::error_code ec;
  if (fs::exists(out / kBundleManifest)) fs::remove_all(out, ec);
  fs::create_directories(out, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", out.string(), ec.message()));
  for (const char* f : {"config.yaml", "seed", "journal.jsonl", "image.json", "result.json"}) copy_into(run_dir / f, out / f);
  for (const char* f : {"accel.json", "qemu.cmdline"})
    if (fs::exists(run_dir / f)) copy_into(run_dir / f, out / f);
  auto wrote = [&](const char* name, const std::string& text) {
    if (write_file(out / name, text) != 0) throw std::runtime_error(fmt::format("cannot write {}", (out / name).string()));
  };
  wrote("workload.json", workload_json(src.topo, src.seed).dump(2) + "\n");
  wrote("console.txt", console_excerpt(run_dir, src.original));
  nlohmann::json m = {{"format", kBundleFormat}, {"created", utc_iso8601()}, {"from_run", fs::absolute(run_dir).string()},
                      {"seed", src.seed}, {"kernel", {{"name", src.identity["name"]}, {"cache_key", src.identity["cache_key"]},
                                                      {"release", src.identity.value("kernel_release", "")}}},
                      {"with_kernel", with_kernel}, {"replay_ops", src.replay.size()}};
  if (src.crash) m["crash"] = {{"title", src.crash->title}, {"kind", src.crash->kind}, {"function", src.crash->function}};
  if (src.original_seconds_to_crash >= 0) m["seconds_to_crash"] = src.original_seconds_to_crash;
  if (with_kernel) {
    ResolvedKernel k = resolve_repro_kernel(src);
    if (!k.exact)
      throw ReproInputError(fmt::format("{}: the kernel '{}' it names is no longer in the cache as it was (cache_key "
                                        "differs): no bundle with another kernel",
                                        (run_dir / "image.json").string(), k.image.name));
    copy_into(k.image.kernel, out / kKernelFile);
    copy_into(k.image.initramfs, out / kInitramfsFile);
  }
  // The manifest last: a bundle without one is unfinished.
  wrote(kBundleManifest, m.dump(2) + "\n");
  return out;
}

void leave_crash_bundle(const fs::path& run_dir, const nlohmann::json& result, bool with_kernel) {
  if (result.value("result", "") != "kernel_crash") return;
  try {
    fs::path b = write_bundle(run_dir, {}, with_kernel);
    spdlog::info("crash bundle: {}", b.string());
  } catch (const std::exception& e) {
    spdlog::warn("{}: no crash bundle: {}", run_dir.string(), e.what());
  }
}
}  // namespace pcirig
