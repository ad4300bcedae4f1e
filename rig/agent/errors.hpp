// How the agent classifies a failed sysfs operation: devices come and go under
// the workload, so "the device is gone" is expected and only counted.
#pragma once
#include <cerrno>

namespace pcirig::agent {

inline bool device_gone(int err) {
  return err == ENODEV || err == ENOENT || err == ENXIO;
}

}  // namespace pcirig::agent
