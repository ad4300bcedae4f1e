// libFuzzer target: what QEMU sends on QMP (qmp/qmp_client.cpp over
// util/json_line_channel.cpp): greeting, replies and events, one line at a
// time, while the host does what a storm does: handshake, device_del waiting
// for DEVICE_DELETED, a query. A compromised or confused QEMU (it runs a
// hostile guest) can send anything. The read loop must end only by hang-up,
// no command may throw, and nothing may still wait once QEMU is gone.
#include <cstdint>
#include <string_view>

#include "channel_peer.h"
#include "qmp/qmp_client.hpp"
#include <spdlog/spdlog.h>

using namespace pcirig;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::ChannelPeer peer;
  LineLog transcript("/dev/null");
  QmpClient qmp(peer.ctx.get_executor(), &transcript);
  bool lost = false;
  qmp.on_disconnect = [&](const std::string&) { lost = true; };
  qmp.attach(std::move(peer.near));
  const auto forever = std::chrono::hours(1);
  auto storm = [&]() -> asio::awaitable<void> {
    co_await qmp.handshake(forever);
    auto deleted = qmp.expect_device_deleted("dev1");
    auto r = co_await qmp.execute("device_del", {{"id", "dev1"}}, forever);
    r.describe();
    co_await qmp.wait(deleted, forever);
    r = co_await qmp.execute("query-pci", nullptr, forever);
    r.describe();
  };
  peer.spawn("qmp_message", storm());
  fuzz::ChannelPeer::for_each_line(in, [&](std::string_view line) { peer.send(line); });
  peer.hang_up();
  peer.check_ended("qmp_message", lost, "QEMU");
  return 0;
}
