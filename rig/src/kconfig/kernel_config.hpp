// A kernel .config as the rig reads it: CONFIG_X=y|m|"text"; "# CONFIG_X is not set"
// and anything else is absent.
#pragma once
#include <filesystem>
#include <map>
#include <string>

namespace pcirig {
class KernelConfig {
 public:
  static KernelConfig parse(const std::string& text);
  static KernelConfig read(const std::filesystem::path& file);  // throws when unreadable
  // "y", "m", a value, or "" when not set. NAME without the CONFIG_ prefix.
  std::string value(const std::string& name) const;
  bool empty() const { return values_.empty(); }

 private:
  std::map<std::string, std::string> values_;
};
}  // namespace pcirig
