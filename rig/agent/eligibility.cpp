#include "eligibility.hpp"

#include <algorithm>

namespace pcirig::agent {

bool may_mutate(const PciDevice& d, const EligibilityRules& rules) {
  if (d.is_bridge()) return false;
  if (rules.agent_bdf && *rules.agent_bdf == d.bdf) return false;
  if (rules.match) {
    const auto vd = d.vendor_device();
    return std::find(rules.match->begin(), rules.match->end(), vd) != rules.match->end();
  }
  // "DDDD:BB:DD.F": bus 00 is the root complex's own functions.
  return d.bdf.size() >= 7 && d.bdf.compare(5, 2, "00") != 0;
}

std::vector<PciDevice> mutable_devices(const std::vector<PciDevice>& all, const EligibilityRules& rules) {
  std::vector<PciDevice> out;
  for (const auto& d : all)
    if (may_mutate(d, rules)) out.push_back(d);
  return out;
}

}  // namespace pcirig::agent
