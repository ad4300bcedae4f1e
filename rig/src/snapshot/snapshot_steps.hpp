// The QMP side of snapshots. Taking one: stop the guest at agent-ready (before it has
// a seed or workload), migrate to a file, resume. Restoring: QEMU starts with
// `-incoming`, the rig waits for the load to finish and resumes the guest. Then the
// cold devices a snapshot cannot hold are plugged (snapshot_plan.hpp).
#pragma once
#include <boost/asio.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "qmp/qmp_client.hpp"

namespace pcirig {

// The migration URI that reads `vmstate` (QEMU 7.2 has no `file:` URI).
std::string incoming_uri(const std::filesystem::path& vmstate);

struct SnapshotStep {
  bool ok = false;
  double seconds = 0;
  uint64_t ram_bytes = 0;  // take_snapshot: the RAM image's data, holes and zero pages left out
  std::string error;       // what failed, for result.json
};

// stop, migrate to `vmstate` (RAM left out: x-ignore-shared), copy the RAM file
// `ram_from` to `ram_to` while the guest is stopped, cont. The guest runs again
// whatever happened.
asio::awaitable<SnapshotStep> take_snapshot(QmpClient& qmp, const std::filesystem::path& vmstate,
                                            const std::filesystem::path& ram_from, const std::filesystem::path& ram_to,
                                            double scale);
// QEMU started with `-incoming defer`: x-ignore-shared on (QEMU 7.2 has no -global for
// it), migrate-incoming from `vmstate`, wait for the load to finish, then cont.
asio::awaitable<SnapshotStep> restore_snapshot(QmpClient& qmp, const std::filesystem::path& vmstate, double scale);
// blockdev-add (for disks) and device_add of each device, as on QEMU's command line.
asio::awaitable<SnapshotStep> plug_cold_devices(QmpClient& qmp, const Topology& t, const std::vector<Device>& devices,
                                                const std::filesystem::path& disk_dir, double scale);
}  // namespace pcirig
