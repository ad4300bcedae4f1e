// Which devices the mutating workers (reset, remove/rescan, unbind/bind, vfio)
// may touch. Readers read every function; the others must not pull the floor
// from under the rig itself.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pci_devices.hpp"

namespace pcirig::agent {

struct EligibilityRules {
  std::optional<std::string> agent_bdf;  // the virtio-serial controller carrying the agent channel
  std::optional<std::vector<std::string>> match;  // "vendor:device"; nullopt = default rule
};

// Never a bridge (its subtree would go with it) nor the agent's own channel.
// With `match`, exactly the matching functions; without, only functions off
// bus 00, i.e. in the topology's root ports and switches rather than the q35
// chipset itself.
bool may_mutate(const PciDevice& d, const EligibilityRules& rules);

std::vector<PciDevice> mutable_devices(const std::vector<PciDevice>& all, const EligibilityRules& rules);

}  // namespace pcirig::agent
