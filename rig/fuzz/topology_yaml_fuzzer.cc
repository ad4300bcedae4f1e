// libFuzzer target: topology YAML (config/load_topology.cpp). Bad input must give
// an error (ConfigError or another std::exception with a message), never a
// crash. A topology that loads is written out as a run's config.yaml
// (emit_topology.cpp), which `pcirig repro` loads again: that must load too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "config/topology.hpp"

using namespace pcirig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Topology t;
  try {
    t = load_topology_text(text, "fuzz.yaml");
  } catch (const std::exception& e) {
    if (!*e.what()) {
      std::fprintf(stderr, "topology_yaml: an error without a message\n");
      std::abort();
    }
    return 0;
  }
  std::string emitted = emit_topology_yaml(t);
  try {
    load_topology_text(emitted, "config.yaml");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "topology_yaml: the emitted config.yaml does not load: %s\n---\n%s---\n", e.what(),
                 emitted.c_str());
    std::abort();
  }
  return 0;
}
