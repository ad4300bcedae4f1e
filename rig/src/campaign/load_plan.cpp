// Plan YAML -> Plan, refusing anything doubtful before a guest starts: every error names
// file:line:column and the key, and a missing kernel, topology or variant by its name.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "campaign/plan.hpp"
#include "config/topology.hpp"
#include "config/yaml_errors.hpp"
#include "images/kernel_image.hpp"
#include "repro/bundle.hpp"
#include "repro/repro_source.hpp"
#include "util/duration.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

class PlanLoader {
 public:
  PlanLoader(std::string file, const PlanWorld& w) : file_(std::move(file)), world_(w) {}

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& key, const std::string& msg) const {
    throw_config_error(file_, m, key, msg);
  }

  void check_keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> allowed) const {
    check_yaml_keys(file_, map, where, allowed);
  }

  int get_int(const YAML::Node& n, const std::string& key, int lo, int hi) const {
    long long v = 0;
    try {
      if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
      v = n.as<long long>();
    } catch (const YAML::Exception&) {
      fail(n.Mark(), key, "expected an integer");
    }
    if (v < lo || v > hi) fail(n.Mark(), key, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return int(v);
  }

  double get_duration(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n.Mark(), key, "expected a duration like 30s, 10m");
    auto s = parse_duration_seconds(n.Scalar());
    if (!s || *s <= 0) fail(n.Mark(), key, fmt::format("'{}' is not a duration like 30s, 10m, 1h", n.Scalar()));
    return *s;
  }

  std::string get_str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n.Mark(), key, "expected a string");
    return n.Scalar();
  }

  // A list of names with each one's mark, so a bad name is pointed at where it is written.
  std::vector<std::pair<std::string, YAML::Mark>> get_names(const YAML::Node& map, const std::string& where,
                                                            const std::string& key, bool required) const {
    std::vector<std::pair<std::string, YAML::Mark>> out;
    YAML::Node n = map[key];
    if (!n) {
      if (required) fail(map.Mark(), where + "." + key, "missing (required)");
      return out;
    }
    if (!n.IsSequence() || n.size() == 0) fail(n.Mark(), where + "." + key, "expected a non-empty list");
    for (auto e : n) out.emplace_back(get_str(e, where + "." + key), e.Mark());
    return out;
  }

  WorkloadMix load_mix(const std::string& name, const YAML::Node& n) const {
    std::string w = "workloads." + name;
    check_keys(n, w, {"readers", "resetters", "rescanners", "binders", "vfio", "reset_interval_ms", "reset_method",
                      "readers_on"});
    WorkloadMix m;
    m.name = name;
    if (n["readers"]) m.readers = get_int(n["readers"], w + ".readers", 0, 256);
    if (n["resetters"]) m.resetters = get_int(n["resetters"], w + ".resetters", 0, 256);
    if (n["rescanners"]) m.rescanners = get_int(n["rescanners"], w + ".rescanners", 0, 64);
    if (n["binders"]) m.binders = get_int(n["binders"], w + ".binders", 0, 64);
    if (n["vfio"]) m.vfio = get_int(n["vfio"], w + ".vfio", 0, 64);
    if (n["reset_interval_ms"]) m.reset_interval_ms = get_int(n["reset_interval_ms"], w + ".reset_interval_ms", 0, 600000);
    if (n["reset_method"]) {
      // The methods drivers/pci/pci.c names in its reset_method attribute (5.15 and later).
      static const std::set<std::string> methods = {"", "flr", "pm", "bus", "af_flr", "device_specific", "acpi", "cxl_bus"};
      m.reset_method = get_str(n["reset_method"], w + ".reset_method");
      if (!methods.count(*m.reset_method))
        fail(n["reset_method"].Mark(), w + ".reset_method",
             fmt::format("'{}' is not one of: flr, pm, bus, af_flr, device_specific, acpi, cxl_bus", *m.reset_method));
    }
    if (n["readers_on"]) {
      m.readers_on = get_str(n["readers_on"], w + ".readers_on");
      if (*m.readers_on != "all" && *m.readers_on != "targets")
        fail(n["readers_on"].Mark(), w + ".readers_on", fmt::format("'{}' is not one of: all, targets", *m.readers_on));
    }
    return m;
  }

  void load_vm(const YAML::Node& e, Plan& p, double default_duration) const {
    check_keys(e, "vm", {"topologies", "kernels", "workloads", "hotplug", "runs", "duration"});
    int runs = e["runs"] ? get_int(e["runs"], "vm.runs", 0, 100000) : 1;
    double dur = e["duration"] ? get_duration(e["duration"], "vm.duration") : default_duration;
    auto topologies = get_names(e, "vm", "topologies", true);
    auto kernels = get_names(e, "vm", "kernels", true);
    if (!world_.kernels.empty()) {
      YAML::Mark at = e["kernels"].Mark();
      kernels.clear();
      for (const auto& k : world_.kernels) kernels.emplace_back(k, at);
    }
    auto mixes = get_names(e, "vm", "workloads", false);
    auto flavours = get_names(e, "vm", "hotplug", false);
    if (mixes.empty()) mixes.emplace_back("own", e.Mark());
    if (flavours.empty()) flavours.emplace_back("own", e.Mark());
    std::map<std::string, Topology> topos;
    for (auto& [t, mark] : topologies) {
      std::string path = resolve_topology(t);
      if (!fs::exists(path))
        fail(mark, "vm.topologies", fmt::format("no topology '{}' (neither a file nor a name under rig/configs/)", t));
      topos[t] = load_topology_file(path);  // its own errors name its own file
    }
    for (auto& [k, mark] : kernels) {
      std::string why;
      if (world_.kernel_known && !world_.kernel_known(k, why)) fail(mark, "vm.kernels", fmt::format("kernel '{}': {}", k, why));
    }
    for (auto& [m, mark] : mixes)
      if (m != "own" && !p.mixes.count(m)) fail(mark, "vm.workloads", fmt::format("no workload mix '{}' in workloads:", m));
    for (auto& [f, mark] : flavours) {
      if (f != "own" && f != "none" && f != "acpi" && f != "native")
        fail(mark, "vm.hotplug", fmt::format("'{}' is not one of: own, none, acpi, native", f));
      if (f == "acpi" || f == "native")
        for (auto& [t, tm] : topologies)
          if (topos[t].hotplug.slots.empty() || topos[t].hotplug.kinds.empty())
            fail(mark, "vm.hotplug", fmt::format("hot-plug '{}' on topology '{}', which has no hotplug.slots and kinds", f, t));
    }
    for (auto& [t, tm] : topologies)
      for (auto& [k, km] : kernels)
        for (auto& [m, mm] : mixes)
          for (auto& [f, fm] : flavours) {
            PlanCell c;
            c.kind = PlanCell::Kind::vm;
            c.topology = t, c.config_path = resolve_topology(t), c.kernel = k, c.mix = m == "own" ? "" : m;
            c.hotplug = f == "own" ? "" : f;
            // A kernel path: an image.json is named by its directory, a tree or a vmlinux/bzImage by itself.
            std::string kname = fs::path(k).parent_path().empty() ? k
                                : k.ends_with(".json")        ? fs::path(k).parent_path().filename().string()
                                                              : fs::path(k).filename().string();
            c.id = fmt::format("vm:{}/{}/{}/{}", fs::path(t).stem().string(), kname, m, f);
            c.runs = runs, c.duration_s = dur, c.line = e.Mark().line + 1;
            p.cells.push_back(c);
          }
  }

  void load_model(const YAML::Node& e, Plan& p, double default_duration) const {
    check_keys(e, "model", {"variants", "schedulers", "runs", "duration"});
    int runs = e["runs"] ? get_int(e["runs"], "model.runs", 0, 100000) : 1;
    double dur = e["duration"] ? get_duration(e["duration"], "model.duration") : default_duration;
    auto variants = get_names(e, "model", "variants", true);
    auto schedulers = get_names(e, "model", "schedulers", true);
    for (auto& [v, mark] : variants) {
      bool known = false;
      std::string list;
      for (auto& w : world_.variants) known = known || w == v, list += (list.empty() ? "" : ", ") + w;
      if (!known)
        fail(mark, "model.variants",
             world_.variants.empty() ? fmt::format("variant '{}': pcirig-model is not built (no variants known)", v)
                                     : fmt::format("no variant '{}' (variants: {})", v, list));
    }
    for (auto& [s, mark] : schedulers)
      if (s != "random" && s != "pct" && s != "dfs" && s != "libfuzzer")
        fail(mark, "model.schedulers", fmt::format("'{}' is not one of: random, pct, dfs, libfuzzer", s));
    for (auto& [v, vm] : variants)
      for (auto& [s, sm] : schedulers) {
        PlanCell c;
        c.kind = PlanCell::Kind::model;
        c.variant = v, c.scheduler = s;
        c.id = fmt::format("model:{}/{}", v, s);
        c.runs = runs, c.duration_s = dur, c.line = e.Mark().line + 1;
        p.cells.push_back(c);
      }
  }

  // One cell per bundle: a directory of bundles (its subdirectories with a bundle.json;
  // none is no cell) or a list of bundle paths. Each bundle is checked as `pcirig repro`
  // checks it, so a broken corpus entry stops the plan here, not a night later.
  void load_repro(const YAML::Node& e, Plan& p) const {
    check_keys(e, "repro", {"bundles", "attempts", "time_limit", "runs"});
    int runs = e["runs"] ? get_int(e["runs"], "repro.runs", 0, 100000) : 1;
    int attempts = e["attempts"] ? get_int(e["attempts"], "repro.attempts", 1, 100) : 3;
    double limit = e["time_limit"] ? get_duration(e["time_limit"], "repro.time_limit") : 0;
    YAML::Node b = e["bundles"];
    if (!b) fail(e.Mark(), "repro.bundles", "missing (required): a directory of bundles or a list of bundle paths");
    std::vector<std::pair<fs::path, YAML::Mark>> bundles;
    std::error_code ec;
    if (b.IsScalar()) {
      fs::path dir = resolve_plan_path(b.Scalar());
      if (!fs::is_directory(dir, ec)) fail(b.Mark(), "repro.bundles", fmt::format("no directory '{}'", b.Scalar()));
      std::vector<fs::path> subs;
      for (auto& d : fs::directory_iterator(dir, ec))
        if (d.is_directory() && fs::exists(d.path() / kBundleManifest)) subs.push_back(d.path());
      std::sort(subs.begin(), subs.end());  // a stable cell order: run indices depend on it
      for (auto& d : subs) bundles.emplace_back(d, b.Mark());
      if (subs.empty())
        p.notes.push_back(fmt::format("repro: '{}' (line {}) holds no bundle yet: no cell", b.Scalar(), b.Mark().line + 1));
    } else if (b.IsSequence() && b.size() > 0) {
      for (auto x : b) {
        std::string s = get_str(x, "repro.bundles");
        fs::path d = resolve_plan_path(s);
        if (!fs::is_directory(d, ec)) fail(x.Mark(), "repro.bundles", fmt::format("no directory '{}'", s));
        if (!fs::exists(d / kBundleManifest))
          fail(x.Mark(), "repro.bundles", fmt::format("'{}' has no {} (not a crash bundle)", s, kBundleManifest));
        bundles.emplace_back(d, x.Mark());
      }
    } else {
      fail(b.Mark(), "repro.bundles", "expected a directory of bundles or a non-empty list of bundle paths");
    }
    for (auto& [dir, mark] : bundles) {
      ReproSource src;
      try {
        src = load_repro_source(dir);
      } catch (const std::exception& x) {  // ReproInputError, or the bundle config's ConfigError
        fail(mark, "repro.bundles", x.what());
      }
      if (!src.crash) fail(mark, "repro.bundles", fmt::format("{}: the bundle's run did not crash: nothing to reproduce", dir.string()));
      PlanCell c;
      c.kind = PlanCell::Kind::repro;
      c.bundle = fs::absolute(dir).lexically_normal().string();
      c.bundle_title = src.crash->title;
      c.kernel = src.identity.value("name", "");
      c.id = "repro:" + dir.filename().string();
      c.attempts = attempts;
      // As `pcirig repro` without --time-limit: 60 s, or twice the original's time to the crash.
      c.time_limit_s = limit > 0 ? limit : std::max(60.0, 2 * src.original_seconds_to_crash);
      c.duration_s = attempts * c.time_limit_s;
      c.runs = runs, c.line = e.Mark().line + 1;
      p.cells.push_back(c);
    }
  }

  Plan load(const YAML::Node& root) const {
    Plan p;
    p.source = file_;
    if (!root || root.IsNull()) fail(YAML::Mark(), "<file>", "empty plan");
    check_keys(root, "", {"seed", "duration", "workloads", "vm", "model", "repro"});
    if (auto s = root["seed"]) {
      try {
        if (!s.IsScalar()) throw YAML::Exception(s.Mark(), "");
        p.seed = s.as<uint64_t>();
      } catch (const YAML::Exception&) {
        fail(s.Mark(), "seed", "expected a non-negative integer");
      }
    }
    double dur = root["duration"] ? get_duration(root["duration"], "duration") : 120;
    if (auto w = root["workloads"]) {
      if (!w.IsMap()) fail(w.Mark(), "workloads", "expected a mapping of mix names");
      for (auto it = w.begin(); it != w.end(); ++it) {
        std::string name = it->first.Scalar();
        if (name == "own") fail(it->first.Mark(), "workloads.own", "'own' is reserved (the topology's own workload)");
        p.mixes[name] = load_mix(name, it->second);
      }
    }
    for (const char* sec : {"vm", "model", "repro"}) {
      YAML::Node list = root[sec];
      if (!list) continue;
      if (!list.IsSequence()) fail(list.Mark(), sec, "expected a list of matrix entries");
      for (auto e : list) {
        std::string s = sec;
        s == "vm" ? load_vm(e, p, dur) : s == "model" ? load_model(e, p, dur) : load_repro(e, p);
      }
    }
    if (p.cells.empty())
      fail(root.Mark(), "vm", "the plan has no cells (no vm: or model: entries, and no bundles under repro:)");
    std::set<std::string> ids;
    for (auto& c : p.cells)
      if (!ids.insert(c.id).second)
        throw ConfigError(file_, c.line, 1, cell_kind_name(c.kind), fmt::format("cell {} appears twice", c.id));
    if (p.round_runs() == 0) fail(root.Mark(), "runs", "every cell has runs: 0");
    return p;
  }

 private:
  std::string file_;
  const PlanWorld& world_;
};

}  // namespace

int Plan::round_runs() const {
  int n = 0;
  for (auto& c : cells) n += c.runs;
  return n;
}

const char* cell_kind_name(PlanCell::Kind k) {
  return k == PlanCell::Kind::vm ? "vm" : k == PlanCell::Kind::model ? "model" : "repro";
}

std::string resolve_plan_path(const std::string& path) {
  if (fs::path(path).is_absolute() || fs::exists(path)) return path;
  return (repo_root() / path).string();
}

std::string default_plan_path() { return (repo_root() / "rig" / "plans" / "default.yaml").string(); }

std::string resolve_topology(const std::string& c) {
  if (c.find('/') == std::string::npos && !fs::exists(c)) {
    fs::path p = repo_root() / "rig" / "configs" / (c.ends_with(".yaml") ? c : c + ".yaml");
    if (fs::exists(p)) return p.string();
  }
  return c;
}

Plan load_plan_text(const std::string& text, const std::string& source, const PlanWorld& world) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source, e.mark.line + 1, e.mark.column + 1, "<syntax>", e.msg);
  }
  Plan p = PlanLoader(source, world).load(root);
  p.text = text;
  return p;
}

Plan load_plan_file(const std::string& path, const PlanWorld& world) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, 0, 0, "<file>", "cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_plan_text(ss.str(), path, world);
}

}  // namespace pcirig
