// What exists on this machine for a plan to name: kernel images (built or buildable),
// model variants (pcirig-model list-variants), and how many guests fit at once.
#pragma once
#include <filesystem>

#include "campaign/plan.hpp"

namespace pcirig {
PlanWorld this_machine_world(const std::filesystem::path& model_bin);
bool kernel_known(const std::string& name, std::string& why);
// Guests at once: one per core (a TCG guest keeps a core busy), as many as memory allows
// with room left for the host.
int default_parallel(const Plan& plan);
}  // namespace pcirig
