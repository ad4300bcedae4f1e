// The YAML loaders' shared errors (topology, plan, known reports): a ConfigError at a
// node's file:line:column naming the key, and the unknown-key check.
#pragma once
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>

namespace pcirig {

// Line and column 1-based, 0 when yaml-cpp has no mark.
[[noreturn]] void throw_config_error(const std::string& file, const YAML::Mark& m, const std::string& key,
                                     const std::string& msg);

// `map` must be a mapping whose keys are all in `allowed`; `where` is its key path.
void check_yaml_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                     std::initializer_list<const char*> allowed);

}  // namespace pcirig
