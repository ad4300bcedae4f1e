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

// QEMU's -incoming argument that reads `vmstate` (QEMU 7.2 has no `file:` URI).
std::string incoming_uri(const std::filesystem::path& vmstate);

struct SnapshotStep {
  bool ok = false;
  double seconds = 0;
  std::string error;  // what failed, for result.json
};

// stop, migrate to `vmstate`, cont. The guest runs again whatever happened.
asio::awaitable<SnapshotStep> take_snapshot(QmpClient& qmp, const std::filesystem::path& vmstate, double scale);
// Waits for the incoming migration to finish, then cont.
asio::awaitable<SnapshotStep> finish_restore(QmpClient& qmp, double scale);
// blockdev-add (for disks) and device_add of each device, as on QEMU's command line.
asio::awaitable<SnapshotStep> plug_cold_devices(QmpClient& qmp, const Topology& t, const std::vector<Device>& devices,
                                                const std::filesystem::path& disk_dir, double scale);
}  // namespace pcirig
