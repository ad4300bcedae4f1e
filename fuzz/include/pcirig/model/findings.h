// Known findings: reports the model makes on today's kernel code (variant
// mainline), where reading that code shows the same race, not confirmed on
// a running kernel; and one that every era built on v5.9 inherits from it
// (sriov-vs-pci-dev-lock, fixed by a91ee0e9fca9), which is not those eras'
// own bug. A search run with skip_known (RunConfig) counts them
// apart and goes on, so that "clean" means: no report but these. Each has a
// saved input in corpora/findings/ that must keep reproducing it.
#pragma once

#include <span>

#include "pcirig/model/report.h"

namespace pcirig::model {

struct Finding {
  const char* name;     // corpora/findings/<name>.pcirig
  const char* summary;  // one line
  bool (*matches)(const Report&);
};

std::span<const Finding> known_findings();
const Finding* known_finding(const Report& r);  // nullptr: not a known finding

}  // namespace pcirig::model
