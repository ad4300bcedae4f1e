#include "kconfig/kernel_config.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pcirig {

KernelConfig KernelConfig::parse(const std::string& text) {
  KernelConfig c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("CONFIG_")) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v == "n") continue;
    c.values_[line.substr(7, eq - 7)] = v;
  }
  return c;
}

KernelConfig KernelConfig::read(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) throw std::runtime_error(fmt::format("cannot read kernel config {}", file.string()));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str());
}

std::string KernelConfig::value(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
}
}  // namespace pcirig
