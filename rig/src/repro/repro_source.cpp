#include "repro/repro_source.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "repro/bundle.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

std::string must_read(const fs::path& f, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(f, ec)) throw ReproInputError(fmt::format("{}: missing ({})", f.string(), what));
  std::string text = read_file_text(f);
  if (text.empty()) throw ReproInputError(fmt::format("{}: empty ({})", f.string(), what));
  return text;
}

uint64_t parse_seed(const fs::path& f) {
  std::string text = must_read(f, "the run's seed");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    throw ReproInputError(fmt::format("{}: corrupt: not a decimal seed", f.string()));
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw ReproInputError(fmt::format("{}: corrupt: the seed does not fit 64 bits", f.string()));
  }
}

// Every line an object with a numeric "t" and a string "ev"; the run_start line's
// seed must be the seed file's. A torn last line (the rig was killed mid-write) is
// the one thing forgiven.
void check_journal(const fs::path& f, const std::string& text, uint64_t seed) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  bool run_start = false;
  while (std::getline(in, line)) {
    n++;
    auto j = nlohmann::json::parse(line, nullptr, false);
    bool last = in.peek() == EOF;
    bool ok = !j.is_discarded() && j.is_object() && j.contains("t") && j["t"].is_number() && j.contains("ev") &&
              j["ev"].is_string();
    if (!ok) {
      if (last && text.back() != '\n') break;
      throw ReproInputError(fmt::format("{}:{}: corrupt: not a journal line", f.string(), n));
    }
    if (j["ev"] == "run_start") {
      run_start = true;
      if (!j.contains("seed") || !j["seed"].is_number_unsigned() || j["seed"].get<uint64_t>() != seed)
        throw ReproInputError(fmt::format("{}:{}: corrupt: run_start's seed is not the seed file's ({})", f.string(), n, seed));
    }
  }
  if (!run_start) throw ReproInputError(fmt::format("{}: corrupt: no run_start line", f.string()));
}

nlohmann::json parse_identity(const fs::path& f) {
  auto j = nlohmann::json::parse(must_read(f, "the kernel's identity"), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ReproInputError(fmt::format("{}: corrupt: not a JSON object", f.string()));
  for (const char* k : {"name", "cache_key"})
    if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty())
      throw ReproInputError(fmt::format("{}: corrupt: no '{}' (the kernel's identity)", f.string(), k));
  return j;
}

}  // namespace

ReplayFidelity replay_fidelity_from_journal(const std::string& text) {
  ReplayFidelity f;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ev") || !j["ev"].is_string()) continue;
    const std::string& ev = j["ev"].get_ref<const std::string&>();
    f.plugs += ev == "plug", f.unplugs += ev == "unplug", f.skipped += ev == "replay_skip";
  }
  return f;
}

ReproSource load_repro_source(const fs::path& path) {
  ReproSource s;
  s.dir = path;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) throw ReproInputError(fmt::format("{}: not a run directory or crash bundle", path.string()));
  s.is_bundle = fs::exists(path / kBundleManifest);
  if (s.is_bundle) check_bundle_manifest(path);
  fs::path cfg = path / "config.yaml";
  must_read(cfg, "the run's topology");
  s.topo = load_topology_file(cfg.string());  // ConfigError names file:line:column
  s.seed = parse_seed(path / "seed");
  s.topo.seed = s.seed;
  fs::path jf = path / "journal.jsonl";
  s.journal_text = must_read(jf, "the run's event journal");
  check_journal(jf, s.journal_text, s.seed);
  s.replay = replay_ops_from_journal(s.journal_text);
  s.identity = parse_identity(path / "image.json");
  if (fs::exists(path / "accel.json")) {
    auto a = nlohmann::json::parse(read_file_text(path / "accel.json"), nullptr, false);
    if (a.is_object() && a.contains("accel") && a["accel"].is_string()) s.accel = a["accel"];
  }
  fs::path rf = path / "result.json";
  auto r = nlohmann::json::parse(must_read(rf, "the run's verdict"), nullptr, false);
  if (r.is_discarded() || !r.is_object()) throw ReproInputError(fmt::format("{}: corrupt: not a JSON object", rf.string()));
  s.original = r;
  if (r.contains("crash") && r["crash"].is_object()) {
    const auto& c = r["crash"];
    auto str = [&](const char* k) { return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : std::string(); };
    CrashSignature sig{str("title"), str("kind"), str("function"),
                       c.contains("corrupted") && c["corrupted"].is_boolean() && c["corrupted"].get<bool>()};
    if (sig.title.empty()) throw ReproInputError(fmt::format("{}: corrupt: a crash without a title", rf.string()));
    s.crash = sig;
  }
  s.original_seconds_to_crash = crash_timing_from_journal(s.journal_text).seconds;
  return s;
}

ResolvedKernel resolve_repro_kernel(const ReproSource& src) {
  const std::string name = src.identity["name"], key = src.identity["cache_key"];
  auto same_key = [&](const KernelImage& img) { return img.info.value("cache_key", "") == key; };
  // 1. The bundle's own kernel files.
  if (src.is_bundle) {
    if (auto img = bundled_kernel(src.dir, src.identity)) return {*img, true, "bundle"};
  }
  // 2. Where the run found it (an image.json beside the files it named), or the cache's, unbuilt.
  std::vector<fs::path> candidates;
  for (const char* f : {"initramfs", "kernel"})  // an image may share another's kernel: its initramfs says where it is
    if (src.identity.contains(f) && src.identity[f].is_string())
      candidates.push_back(fs::path(src.identity[f].get<std::string>()).parent_path() / "image.json");
  candidates.push_back(cache_dir() / "images" / name / "image.json");
  for (const auto& c : candidates) {
    if (!fs::exists(c)) continue;
    try {
      KernelImage img = find_kernel_image(c.string(), false);
      if (same_key(img)) return {img, true, c.parent_path() == cache_dir() / "images" / name ? "cache" : "run"};
    } catch (const std::exception&) {
    }
  }
  // 3. The cache's image of that name, built from its recipe when missing.
  KernelImage img;
  try {
    img = find_kernel_image(name, true);
  } catch (const std::exception& e) {
    throw ReproInputError(fmt::format("{}: kernel '{}' (cache_key {}) is nowhere to be found: {}",
                                      (src.dir / "image.json").string(), name, key, e.what()));
  }
  bool exact = same_key(img);
  if (!exact)
    spdlog::warn("kernel image '{}' differs from the run's (cache_key {} now, {} then): not an exact replay", name,
                 img.info.value("cache_key", ""), key);
  return {img, exact, "cache"};
}
}  // namespace pcirig
