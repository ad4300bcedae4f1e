#include "counters.hpp"

#include <cmath>

namespace pcirig::agent {

nlohmann::ordered_json stats_message(const Counters& c, double t, std::size_t devices) {
  nlohmann::ordered_json j;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  j["type"] = "stats";
  j["t"] = std::round(t * 1000.0) / 1000.0;
  j["config_reads"] = get(c.config_reads);
  j["config_bytes"] = get(c.config_bytes);
  j["resets"] = get(c.resets);
  j["reset_errors"] = get(c.reset_errors);
  j["rescans"] = get(c.rescans);
  j["binds"] = get(c.binds);
  j["vfio_cycles"] = get(c.vfio_cycles);
  j["vfio_errors"] = get(c.vfio_errors);
  j["vfio_busy"] = get(c.vfio_busy);
  j["enodev"] = get(c.enodev);
  j["devices"] = devices;
  // Beyond the contract's fields: extra detail the host may ignore.
  j["read_errors"] = get(c.read_errors);
  j["removes"] = get(c.removes);
  j["rescan_errors"] = get(c.rescan_errors);
  j["unbinds"] = get(c.unbinds);
  j["bind_errors"] = get(c.bind_errors);
  j["slow_ops"] = get(c.slow_ops);
  return j;
}

}  // namespace pcirig::agent
