#include "config/yaml_errors.hpp"

#include <fmt/format.h>

#include "config/topology.hpp"

namespace pcirig {

void throw_config_error(const std::string& file, const YAML::Mark& m, const std::string& key, const std::string& msg) {
  throw ConfigError(file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0, key, msg);
}

void check_yaml_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                     std::initializer_list<const char*> allowed) {
  if (!map.IsMap()) throw_config_error(file, map.Mark(), where, "expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string k = it->first.Scalar();
    bool ok = false;
    for (auto a : allowed) ok = ok || k == a;
    if (ok) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw_config_error(file, it->first.Mark(), where.empty() ? k : where + "." + k,
                       fmt::format("unknown key (allowed: {})", list));
  }
}

}  // namespace pcirig
