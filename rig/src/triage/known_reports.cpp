#include "triage/known_reports.hpp"

#include <fmt/format.h>
#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/topology.hpp"
#include "config/yaml_errors.hpp"
#include "images/kernel_image.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {
namespace {

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& key, const std::string& msg) const {
    throw_config_error(file_, m, key, msg);
  }

  std::string get_str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar() || n.Scalar().empty()) fail(n.Mark(), key, "expected a non-empty string");
    return n.Scalar();
  }

  std::vector<std::string> get_list(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence() || n.size() == 0) fail(n.Mark(), key, "expected a non-empty list");
    std::vector<std::string> out;
    for (auto e : n) out.push_back(get_str(e, key));
    return out;
  }

  std::regex get_regex(const YAML::Node& n, const std::string& key) const {
    std::string s = get_str(n, key);
    try {
      return std::regex(s, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      fail(n.Mark(), key, fmt::format("'{}' is not an ECMAScript regex: {}", s, e.what()));
    }
  }

  KnownReport entry(const YAML::Node& e, size_t i) const {
    std::string w = fmt::format("[{}]", i);
    if (!e.IsMap()) fail(e.Mark(), w, "expected a mapping");
    if (e["id"] && e["id"].IsScalar() && !e["id"].Scalar().empty()) w = e["id"].Scalar();  // errors name the entry
    check_yaml_keys(file_, e, w, {"id", "title", "body", "releases", "why", "evidence"});
    if (!e["id"]) fail(e.Mark(), w + ".id", "missing (required)");
    KnownReport k;
    k.id = get_str(e["id"], w + ".id");
    for (const char* key : {"title", "releases", "why", "evidence"})
      if (!e[key]) fail(e.Mark(), w + "." + key, "missing (required)");
    k.title = get_str(e["title"], w + ".title");
    k.title_re = get_regex(e["title"], w + ".title");
    if (e["body"]) {
      k.body = get_list(e["body"], w + ".body");
      size_t j = 0;
      for (auto b : e["body"]) k.body_re.push_back(get_regex(b, fmt::format("{}.body[{}]", w, j++)));
    }
    k.releases = get_list(e["releases"], w + ".releases");
    k.why = get_str(e["why"], w + ".why");
    k.evidence = get_str(e["evidence"], w + ".evidence");
    return k;
  }

  KnownReports load(const std::string& text) const {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      fail(e.mark, "", e.msg);
    }
    KnownReports out;
    if (root.IsNull()) return out;
    if (!root.IsSequence()) fail(root.Mark(), "", "expected a list of known reports");
    std::set<std::string> ids;
    for (size_t i = 0; i < root.size(); i++) {
      out.entries.push_back(entry(root[i], i));
      if (!ids.insert(out.entries.back().id).second)
        fail(root[i]["id"].Mark(), out.entries.back().id + ".id", "duplicate id");
    }
    return out;
  }

 private:
  std::string file_;
};
}  // namespace

std::optional<KnownReport> KnownReports::match(const std::string& title, const std::string& body,
                                               const std::string& release) const {
  if (title.empty() || release.empty()) return std::nullopt;
  for (auto& e : entries) {
    bool rel = false;
    for (auto& g : e.releases) rel = rel || fnmatch(g.c_str(), release.c_str(), 0) == 0;
    if (!rel || !std::regex_match(title, e.title_re)) continue;
    bool all = true;
    for (auto& b : e.body_re) all = all && std::regex_search(body, b);
    if (all) return e;
  }
  return std::nullopt;
}

std::string KnownReports::id_for_result(const nlohmann::json& r) const {
  if (!r.is_object() || !r.contains("crash") || !r["crash"].is_object()) return "";
  const auto& c = r["crash"];
  auto str = [](const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string release = r.contains("kernel") && r["kernel"].is_object() ? str(r["kernel"], "release") : "";
  auto e = match(str(c, "title"), str(c, "report"), release);
  return e ? e->id : "";
}

KnownReports load_known_reports_text(const std::string& text, const std::string& file) {
  return Loader(file).load(text);
}

KnownReports load_known_reports_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  return load_known_reports_text(read_file_text(file), file.string());
}

fs::path known_reports_path() { return repo_root() / "corpora" / "known-reports.yaml"; }
}  // namespace pcirig
