// The QMP client against a real QEMU: -machine q35 -nodefaults -S and no kernel, so
// real QMP at no boot cost.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>

#include "qemu/cmdline.hpp"
#include "qemu/qemu_process.hpp"
#include "qmp/qmp_client.hpp"
#include "util/clock.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;
using local = boost::asio::local::stream_protocol;
using namespace std::chrono_literals;

namespace {
struct Rig {
  asio::io_context ctx;
  fs::path dir;
  std::unique_ptr<LineLog> transcript;
  std::unique_ptr<QmpClient> qmp;
  std::unique_ptr<QemuProcess> qemu;

  Rig() {
    // QEMU connects to the socket in it: a directory nobody else can claim first.
    dir = make_private_dir(fs::temp_directory_path(), "pcirig-qmp-");
    transcript = std::make_unique<LineLog>(dir / "qmp.jsonl");
    qmp = std::make_unique<QmpClient>(ctx.get_executor(), transcript.get());
    qemu = std::make_unique<QemuProcess>(ctx.get_executor());
  }
  ~Rig() { fs::remove_all(dir); }

  // Start QEMU (it connects to our socket) and run `body` as a coroutine to completion.
  void run(std::function<asio::awaitable<void>(Rig&)> body) {
    local::acceptor acc(ctx, local::endpoint((dir / "qmp.sock").string()));
    qemu->start({"qemu-system-x86_64", "-machine", "q35", "-nodefaults", "-S", "-display", "none", "-accel", "tcg",
                 "-chardev", "socket,id=qmp,path=" + (dir / "qmp.sock").string(), "-mon", "chardev=qmp,mode=control",
                 "-device", "virtio-serial-pci,id=vs", "-device", "pcie-root-port,id=rp1,chassis=1,slot=1"},
                dir / "qemu.stderr");
    bool done = false;
    asio::steady_timer guard(ctx, 30s);
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
      local::socket s = co_await acc.async_accept(asio::use_awaitable);
      qmp->attach(std::move(s));
      co_await body(*this);
      done = true;
      qemu->kill_now();
      guard.cancel();
    }, asio::detached);
    guard.async_wait([&](boost::system::error_code ec) {
      if (!ec) qemu->kill_now(), ctx.stop();
    });
    ctx.run_for(40s);
    EXPECT_TRUE(done) << "test body did not finish";
  }
};
}  // namespace

TEST(Qmp, HandshakeCommandsErrorsAndTranscript) {
  Rig r;
  r.run([](Rig& r) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await r.qmp->handshake(5000ms));
    EXPECT_EQ(r.qmp->greeting()["QMP"]["version"]["qemu"]["major"], 7);
    auto st = co_await r.qmp->execute("query-status");
    EXPECT_TRUE(st.ok);
    EXPECT_EQ(st.ret["status"], "prelaunch");
    auto bad = co_await r.qmp->execute("no-such-command");
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.error_class, "CommandNotFound");
    EXPECT_NE(bad.error_desc.find("no-such-command"), std::string::npos);
    json ghost = {{"id", "ghost"}};
    auto nodev = co_await r.qmp->execute("device_del", ghost);
    EXPECT_EQ(nodev.error_class, "DeviceNotFound");
  });
  std::string t = read_file_text(r.dir / "qmp.jsonl");
  EXPECT_NE(t.find("\"dir\":\"out\""), std::string::npos);
  EXPECT_NE(t.find("qmp_capabilities"), std::string::npos);
  EXPECT_NE(t.find("CommandNotFound"), std::string::npos);
  // Every line is JSON with a timestamp.
  size_t pos = 0, lines = 0;
  while (pos < t.size()) {
    size_t nl = t.find('\n', pos);
    auto j = nlohmann::json::parse(t.substr(pos, nl - pos));
    EXPECT_TRUE(j.contains("t"));
    pos = nl + 1, lines++;
  }
  EXPECT_GE(lines, 8u);
}

TEST(Qmp, DeviceDeletedMatchedById) {
  Rig r;
  r.run([](Rig& r) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await r.qmp->handshake(5000ms));
    // A virtio-serial port unplugs synchronously: a real DEVICE_DELETED without a guest.
    auto other = r.qmp->expect_device_deleted("p2");
    auto w = r.qmp->expect_device_deleted("p1");
    json port = {{"driver", "virtserialport"}, {"bus", "vs.0"}, {"id", "p1"}, {"name", "x"}};
    auto add = co_await r.qmp->execute("device_add", port);
    EXPECT_TRUE(add.ok) << add.describe();
    json p1 = {{"id", "p1"}};
    auto del = co_await r.qmp->execute("device_del", p1);
    EXPECT_TRUE(del.ok) << del.describe();
    auto ev = co_await r.qmp->wait(w, 3000ms);
    EXPECT_TRUE(ev.has_value());
    if (ev) EXPECT_EQ((*ev)["data"]["device"], "p1");
    EXPECT_FALSE((co_await r.qmp->wait(other, 200ms)).has_value()) << "another id's waiter fired";
  });
}

TEST(Qmp, ChildPathOnlyEventsAreIgnored) {
  json child = {{"event", "DEVICE_DELETED"}, {"data", {{"path", "/machine/peripheral/n1/virtio-backend"}}}};
  json mine = {{"event", "DEVICE_DELETED"}, {"data", {{"device", "n1"}, {"path", "/machine/peripheral/n1"}}}};
  EXPECT_FALSE(QmpClient::is_device_deleted(child, "n1"));
  EXPECT_TRUE(QmpClient::is_device_deleted(mine, "n1"));
  EXPECT_FALSE(QmpClient::is_device_deleted(mine, "n2"));
}

TEST(Qmp, TimeoutThenRecovery) {
  Rig r;
  r.run([](Rig& r) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await r.qmp->handshake(5000ms));
    r.qemu->signal(SIGSTOP);
    double t0 = mono_seconds();
    auto st = co_await r.qmp->execute("query-status", nullptr, 300ms);
    EXPECT_TRUE(st.timed_out);
    EXPECT_NEAR(mono_seconds() - t0, 0.3, 0.2);
    r.qemu->signal(SIGCONT);
    // The late reply to the timed-out command must not be taken for this one's.
    auto v = co_await r.qmp->execute("query-version", nullptr, 5000ms);
    EXPECT_TRUE(v.ok);
    EXPECT_TRUE(v.ret.contains("qemu"));
  });
}

TEST(Qmp, QemuDeathIsSeen) {
  Rig r;
  std::optional<QemuExit> exit;
  r.qemu->on_exit = [&](const QemuExit& x) { exit = x; };
  r.run([&](Rig& r) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await r.qmp->handshake(5000ms));
    r.qemu->signal(SIGKILL);
    auto st = co_await r.qmp->execute("query-status", nullptr, 5000ms);
    EXPECT_TRUE(st.disconnected);
    for (int i = 0; i < 50 && !exit; i++) {
      asio::steady_timer t(r.ctx, 20ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  });
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->signalled);
  EXPECT_EQ(exit->code, SIGKILL);
}

// The storm's block devices each get a node on their slot's one backing file. A node
// whose device QEMU never finalizes stays attached (blockdev-del refused), and the
// slot's next device must still get a node of its own on the same file.
TEST(Qmp, PerPlugDiskNodesShareTheSlotFile) {
  Rig r;
  fs::path file = r.dir / "slot-rp1.img";
  { std::FILE* fp = std::fopen(file.c_str(), "wb"); ASSERT_NE(fp, nullptr); ASSERT_EQ(::ftruncate(fileno(fp), 1 << 20), 0); std::fclose(fp); }
  r.run([&](Rig& r) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await r.qmp->handshake(5000ms));
    auto a = co_await r.qmp->execute("blockdev-add", blockdev_add_args(disk_node_for_device("rp1-blk-1"), file));
    EXPECT_TRUE(a.ok) << a.describe();
    DeviceTemplate blk;
    blk.kind = DeviceKind::virtio_blk;
    auto dev = co_await r.qmp->execute("device_add", device_add_args(blk, "rp1-blk-1", "rp1", disk_node_for_device("rp1-blk-1")));
    EXPECT_TRUE(dev.ok) << dev.describe();
    json held = {{"node-name", disk_node_for_device("rp1-blk-1")}};
    auto del = co_await r.qmp->execute("blockdev-del", held);
    EXPECT_FALSE(del.ok) << "a node in use must not be deleted";
    auto b = co_await r.qmp->execute("blockdev-add", blockdev_add_args(disk_node_for_device("rp1-blk-2"), file));
    EXPECT_TRUE(b.ok) << b.describe();
    json free_node = {{"node-name", disk_node_for_device("rp1-blk-2")}};
    auto del2 = co_await r.qmp->execute("blockdev-del", free_node);
    EXPECT_TRUE(del2.ok) << del2.describe();
  });
}
