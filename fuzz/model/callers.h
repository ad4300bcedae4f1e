// The entry points a scenario's tasks start in (callers.cc).
#pragma once

#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/scenario.h"

namespace pcirig::model {

Co<void> run_call(const CallSpec& c);

}  // namespace pcirig::model
