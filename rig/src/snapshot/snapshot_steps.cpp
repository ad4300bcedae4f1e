#include "snapshot/snapshot_steps.hpp"

#include <fmt/format.h>

#include "qemu/cmdline.hpp"
#include "snapshot/snapshot_ram.hpp"
#include "util/clock.hpp"

namespace fs = std::filesystem;
namespace pcirig {

namespace {
asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

// exec: runs its argument with /bin/sh -c: the path goes in single quotes.
std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

milliseconds scaled(double seconds, double scale) { return milliseconds(int64_t(seconds * scale * 1000)); }

// RAM is in a file (cmdline.hpp ram_file): the stream leaves it out, on both sides.
asio::awaitable<QmpResult> ignore_shared_ram(QmpClient& qmp, double scale) {
  json cap = json::object(), args = json::object();
  cap["capability"] = "x-ignore-shared";
  cap["state"] = true;
  args["capabilities"] = json::array({cap});
  co_return co_await qmp.execute("migrate-set-capabilities", args, scaled(2, scale));
}
}  // namespace

std::string incoming_uri(const fs::path& vmstate) { return "exec:cat " + sh_quote(vmstate.string()); }

asio::awaitable<SnapshotStep> take_snapshot(QmpClient& qmp, const fs::path& vmstate, const fs::path& ram_from,
                                            const fs::path& ram_to, double scale) {
  SnapshotStep s;
  double t0 = mono_seconds();
  auto r = co_await qmp.execute("stop", nullptr, scaled(2, scale));
  if (!r.ok) {
    s.error = "stop: " + r.describe();
    co_return s;
  }
  // The guest is stopped, so this is one pass: let it go at disk speed (QEMU 7.2
  // limits migration to 128 MiB/s by default).
  // (Arguments are built before co_await: GCC 12 miscompiles braced lists inside it.)
  json bandwidth = json::object(), uri = json::object();
  bandwidth["max-bandwidth"] = int64_t(1) << 40;
  uri["uri"] = "exec:cat > " + sh_quote(vmstate.string());
  co_await qmp.execute("migrate-set-parameters", bandwidth, scaled(2, scale));
  r = co_await ignore_shared_ram(qmp, scale);
  if (!r.ok) {
    s.error = "migrate-set-capabilities: " + r.describe();
  } else {
    r = co_await qmp.execute("migrate", uri, scaled(5, scale));
    if (!r.ok) s.error = "migrate: " + r.describe();
  }
  while (s.error.empty()) {
    auto q = co_await qmp.execute("query-migrate", nullptr, scaled(2, scale));
    std::string st = q.ok ? q.ret.value("status", "") : "";
    if (st == "completed") {
      // Still stopped: the RAM file is the guest's memory at the same instant as the stream.
      try {
        s.ram_bytes = copy_ram_image(ram_from, ram_to);
        s.ok = true;
      } catch (const std::exception& e) {
        s.error = e.what();
      }
      break;
    }
    if (!q.ok || st == "failed" || st == "cancelled") {
      s.error = q.ok ? "migration " + st + ": " + q.ret.value("error-desc", "") : "query-migrate: " + q.describe();
    } else if (mono_seconds() - t0 > 60 * scale) {
      co_await qmp.execute("migrate_cancel", nullptr, scaled(2, scale));
      s.error = "migration still running after 60 s";
    } else {
      co_await sleep_ms(10);
    }
  }
  s.seconds = mono_seconds() - t0;
  auto c = co_await qmp.execute("cont", nullptr, scaled(5, scale));
  if (!c.ok && s.ok) {
    s.ok = false;
    s.error = "cont after the snapshot: " + c.describe();
  }
  co_return s;
}

asio::awaitable<SnapshotStep> restore_snapshot(QmpClient& qmp, const fs::path& vmstate, double scale) {
  SnapshotStep s;
  double t0 = mono_seconds();
  auto r = co_await ignore_shared_ram(qmp, scale);
  if (!r.ok) {
    s.error = "migrate-set-capabilities: " + r.describe();
    co_return s;
  }
  json uri = json::object();
  uri["uri"] = incoming_uri(vmstate);
  r = co_await qmp.execute("migrate-incoming", uri, scaled(5, scale));
  if (!r.ok) {
    s.error = "migrate-incoming: " + r.describe();
    co_return s;
  }
  for (;;) {
    auto q = co_await qmp.execute("query-status", nullptr, scaled(2, scale));
    if (!q.ok) {
      s.error = "query-status: " + q.describe();
      co_return s;
    }
    std::string st = q.ret.value("status", "");
    if (st != "inmigrate") {
      // QEMU exits by itself when the stream does not load; anything else but a
      // stopped or running guest is not a restore.
      if (st != "paused" && st != "postmigrate" && st != "prelaunch" && st != "running") {
        s.error = "guest state after restore: " + st;
        co_return s;
      }
      break;
    }
    if (mono_seconds() - t0 > 30 * scale) {
      s.error = "incoming migration still loading after 30 s";
      co_return s;
    }
    co_await sleep_ms(5);
  }
  auto c = co_await qmp.execute("cont", nullptr, scaled(5, scale));
  if (!c.ok) {
    s.error = "cont: " + c.describe();
    co_return s;
  }
  s.ok = true;
  s.seconds = mono_seconds() - t0;
  co_return s;
}

asio::awaitable<SnapshotStep> plug_cold_devices(QmpClient& qmp, const Topology& t, const std::vector<Device>& devices,
                                                const fs::path& disk_dir, double scale) {
  SnapshotStep s;
  double t0 = mono_seconds();
  for (const Device& d : devices) {
    const DeviceTemplate* tm = t.find_template(d.tmpl);
    std::string node = disk_node_for_device(d.id);
    if (needs_disk(tm->kind)) {
      json args = blockdev_add_args(node, device_disk_file(disk_dir, d.id));
      auto r = co_await qmp.execute("blockdev-add", args, scaled(5, scale));
      if (!r.ok) {
        s.error = fmt::format("blockdev-add for {}: {}", d.id, r.describe());
        co_return s;
      }
    }
    json args = device_add_args(*tm, d.id, d.bus, node);
    auto r = co_await qmp.execute("device_add", args, scaled(5, scale));
    if (!r.ok) {
      s.error = fmt::format("device_add {}: {}", d.id, r.describe());
      co_return s;
    }
  }
  s.ok = true;
  s.seconds = mono_seconds() - t0;
  co_return s;
}
}  // namespace pcirig
