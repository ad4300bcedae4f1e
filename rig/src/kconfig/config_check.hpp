// The kernel config check before boot: every required option of
// kconfig_requirements() this run needs, and the recommended ones.
#pragma once
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "images/kernel_image.hpp"
#include "kconfig/kernel_config.hpp"
#include "kconfig/requirements.hpp"

namespace pcirig {

struct KconfigFinding {
  const KconfigRequirement* req;
  std::string reason;  // why this run needs it
  std::string state;   // " is not set", or "=m, but the image's initramfs does not load MODULE"
};

struct KconfigVerdict {
  std::vector<KconfigFinding> missing_required, missing_recommended;
  std::vector<std::string> notes;  // other one-line warnings (a boot parameter turned off)
};

// modules: the modules the image's initramfs loads (image.json "modules").
KconfigVerdict check_kernel_config(const KernelConfig& config, const std::set<std::string>& modules, const Topology& t,
                                   bool elf_boot);

class KernelConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The check on an image (its config beside image.json): throws KernelConfigError
// naming every missing required option and what needs it; logs one warning line
// per missing recommended option.
void check_image_kernel_config(const KernelImage& image, const Topology& t);
}  // namespace pcirig
