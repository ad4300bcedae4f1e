// Cumulative workload counters, shared by the worker threads and streamed to
// the host once a second as a `stats` line (docs/CONTRACTS.md).
#pragma once
#include <atomic>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace pcirig::agent {

struct Counters {
  std::atomic<std::uint64_t> config_reads{0};
  std::atomic<std::uint64_t> config_bytes{0};
  std::atomic<std::uint64_t> read_errors{0};   // a read failed for a reason other than the device going away
  std::atomic<std::uint64_t> resets{0};
  std::atomic<std::uint64_t> reset_errors{0};
  std::atomic<std::uint64_t> removes{0};
  std::atomic<std::uint64_t> rescan_errors{0};
  std::atomic<std::uint64_t> rescans{0};
  std::atomic<std::uint64_t> unbinds{0};
  std::atomic<std::uint64_t> binds{0};
  std::atomic<std::uint64_t> bind_errors{0};
  std::atomic<std::uint64_t> vfio_cycles{0};
  std::atomic<std::uint64_t> vfio_errors{0};
  std::atomic<std::uint64_t> vfio_busy{0};    // a cycle met the function busy (EAGAIN/EBUSY): contention, not a fault
  std::atomic<std::uint64_t> enodev{0};        // ENODEV/ENOENT/ENXIO: the device went away under us
  std::atomic<std::uint64_t> slow_ops{0};      // one sysfs operation took over a second (hint of a stall)
};

// A stats message for time `t` seconds since the agent started.
nlohmann::ordered_json stats_message(const Counters& c, double t, std::size_t devices);

}  // namespace pcirig::agent
