// Tests that boot the real Debian guest (label `guest`; TCG here, ~5 s to ready).
// They FAIL when the image is missing: `./run.sh test` builds it first.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "config/topology.hpp"
#include "images/kernel_image.hpp"
#include "session/session.hpp"
#include "util/line_log.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
fs::path runs_dir() {
  static const fs::path d = make_private_dir(fs::temp_directory_path(), "pcirig-guest-tests-");
  return d;
}

// The guests' run directories are kept when a test failed (they are what to
// read) and removed when every test passed.
class RunsDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!::testing::UnitTest::GetInstance()->Passed()) {
      fprintf(stderr, "guest runs kept in %s\n", runs_dir().c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(runs_dir(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const g_cleanup = ::testing::AddGlobalTestEnvironment(new RunsDirCleanup);

SessionOptions options(const std::string& yaml) {
  SessionOptions o;
  o.topo = load_topology_text(yaml, "guest_test.yaml");
  o.image = find_kernel_image("debian", false);  // throws (test fails) when missing
  o.runs_dir = runs_dir();
  return o;
}

// Four empty slots, one per device kind; the storm follows a fixed script (the replay
// path) so every kind is plugged and unplugged exactly once.
std::string each_kind_yaml(const std::string& flavour) {
  return R"(
machine: {vcpus: 2, memory_mb: 1024, accel: tcg}
topology:
  root_ports:
    - {id: rp1, slot: 1}
    - {id: rp2, slot: 2}
    - {id: rp3, slot: 3}
    - {id: rp4, slot: 4}
templates:
  net:  {driver: virtio-net-pci}
  blk:  {driver: virtio-blk-pci, disk_mb: 4}
  nic:  {driver: e1000e}
  nvme: {driver: nvme, disk_mb: 4}
workload: {readers: 1, resetters: 0}
hotplug: {flavour: )" + flavour + R"(, slots: [rp1, rp2, rp3, rp4], kinds: [net, blk, nic, nvme]}
duration: 14s
seed: 7
)";
}

std::vector<ReplayOp> each_kind_script() {
  std::vector<ReplayOp> ops;
  const char* kinds[] = {"net", "blk", "nic", "nvme"};
  for (int i = 0; i < 4; i++) ops.push_back({0.1 * i, "plug", "rp" + std::to_string(i + 1), kinds[i]});
  for (int i = 0; i < 4; i++) ops.push_back({3.0 + 0.1 * i, "unplug", "rp" + std::to_string(i + 1), ""});
  return ops;
}

void expect_each_kind_cycled(const SessionOutcome& out) {
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "clean") << r.dump(2);
  for (const char* k : {"net", "blk", "nic", "nvme"}) {
    EXPECT_EQ(out.hotplug.plugged_by_kind.count(k) ? out.hotplug.plugged_by_kind.at(k) : 0, 1) << k;
    EXPECT_EQ(out.hotplug.unplugged_by_kind.count(k) ? out.hotplug.unplugged_by_kind.at(k) : 0, 1) << k;
  }
  EXPECT_EQ(out.hotplug.plug_failures, 0);
  EXPECT_EQ(out.hotplug.unplug_timeouts, 0);
  // Every line the real agent and QEMU sent passed the shape checks.
  EXPECT_EQ(r["protocol_errors"], 0) << r["input"].dump();
  // blk and nvme each got a block node of their own, deleted once the device was gone.
  EXPECT_EQ(out.hotplug.disk_nodes_kept, 0);
  std::string qmp = read_file_text(out.run_dir / "qmp.jsonl");
  for (const char* node : {"\"node-name\":\"disk-rp2-blk-", "\"node-name\":\"disk-rp4-nvme-"}) {
    size_t first = qmp.find(node);
    EXPECT_NE(first, std::string::npos) << node;
    EXPECT_NE(qmp.find(node, first + 1), std::string::npos) << node << ": added but never deleted";
  }
  // The agent noticed every function arriving and going.
  EXPECT_EQ(out.hotplug.agent_saw_add, 4);
  EXPECT_GE(r["agent"]["pci_removes"].get<int>(), 4);
  EXPECT_GT(r["agent"]["config_reads"].get<long>(), 0);
  // The journal holds the sequence a replay follows.
  auto ops = replay_ops_from_journal(read_file_text(out.run_dir / "journal.jsonl"));
  EXPECT_EQ(ops.size(), 8u);
}
}  // namespace

TEST(Guest, PlugUnplugEachKindAcpi) {
  SessionOptions o = options(each_kind_yaml("acpi"));
  o.replay = each_kind_script();
  auto out = run_session(o);
  expect_each_kind_cycled(out);
  for (double ms : out.hotplug.unplug_ms) EXPECT_LT(ms, 3000) << "ACPI unplug should take ~100 ms";
}

TEST(Guest, PlugUnplugEachKindNative) {
  SessionOptions o = options(each_kind_yaml("native"));
  o.replay = each_kind_script();
  auto out = run_session(o);
  expect_each_kind_cycled(out);
  // The agent powered the slots off: well under pciehp's 5 s button wait.
  for (double ms : out.hotplug.unplug_ms) EXPECT_LT(ms, 5000);
  EXPECT_NE(read_file_text(out.run_dir / "qemu.cmdline").find("acpi-pci-hotplug-with-bridge-support=off"), std::string::npos);
}

// An unplug the guest never completes: with the ACPI hot-plug GPE (q35: GPE 1)
// disabled after the plug, the eject request is never seen. The storm times out,
// asks the guest for its blocked tasks (sysrq w) and the run stays clean.
TEST(Guest, UnplugTimeoutDumpsBlockedTasks) {
  SessionOptions o = options(R"(
machine: {vcpus: 2, memory_mb: 1024, accel: tcg}
topology: {root_ports: [{id: rp1, slot: 1}]}
templates: {net: {driver: virtio-net-pci}}
workload: {readers: 1, resetters: 0}
hotplug: {flavour: acpi, slots: [rp1], kinds: [net]}
duration: 16s
seed: 7
)");
  o.replay = std::vector<ReplayOp>{{0.1, "plug", "rp1", "net"}, {4.0, "unplug", "rp1", ""}};
  // The plug is seen within ~0.2 s; the GPE goes off 1.5 s later, well before the unplug.
  o.on_ready = [](Session& s) {
    s.agent_exec({"/bin/sh", "-c", "sleep 1.5; echo disable > /sys/firmware/acpi/interrupts/gpe01"});
  };
  auto out = run_session(o);
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "clean") << r.dump(2);
  EXPECT_EQ(out.hotplug.agent_saw_add, 1);
  EXPECT_EQ(out.hotplug.unplug_timeouts, 1);
  std::string journal = read_file_text(out.run_dir / "journal.jsonl");
  size_t dumped = journal.find(R"("ev":"blocked_tasks_dumped")");
  ASSERT_NE(dumped, std::string::npos) << journal;
  std::string line = journal.substr(dumped, journal.find('\n', dumped) - dumped);
  EXPECT_NE(line.find(R"("ok":true)"), std::string::npos) << line;
  EXPECT_NE(read_file_text(out.run_dir / "console.log").find("sysrq: Show Blocked State"), std::string::npos);
  // The timeout is also a first sign for the rig's hang check (docs/rig.md "Hangs found by
  // the rig"): it runs, and nothing blocked for good is no hang.
  EXPECT_NE(journal.find(R"("sign":"unplug_timeout")"), std::string::npos) << journal;
  EXPECT_GE(r["hang_checks"]["checks"].get<int>(), 1) << r["hang_checks"];
  EXPECT_EQ(r["hang_checks"]["reported"].get<int>(), 0) << r["hang_checks"];
}

TEST(Guest, QemuKilledMidRunIsInfra) {
  SessionOptions o = options("machine: {accel: tcg}\nhotplug: {enabled: false}\nduration: 60s\n");
  o.snapshot = false;  // the console then holds the boot
  o.on_ready = [](Session& s) { s.qemu_signal(SIGKILL); };
  auto out = run_session(o);
  EXPECT_EQ(out.exit_code, 2);
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "infra") << r.dump(2);
  EXPECT_EQ(r["infra"]["kind"], "qemu_died");
  EXPECT_EQ(r["infra"]["qemu_exit"]["signalled"], true);
  EXPECT_EQ(r["infra"]["qemu_exit"]["code"], SIGKILL);
  // The run directory says what happened, with everything so far.
  auto saved = nlohmann::json::parse(read_file_text(out.run_dir / "result.json"));
  EXPECT_EQ(saved["infra"]["kind"], "qemu_died");
  EXPECT_NE(read_file_text(out.run_dir / "console.log").find("Linux version"), std::string::npos);
  EXPECT_NE(read_file_text(out.run_dir / "journal.jsonl").find("\"qemu_exit\""), std::string::npos);
}

TEST(Guest, HungGuestTripsTheWatchdog) {
  SessionOptions o = options("machine: {accel: tcg}\nhotplug: {enabled: false}\nduration: 120s\n");
  o.on_ready = [](Session& s) { s.qemu_signal(SIGSTOP); };
  auto out = run_session(o);
  EXPECT_EQ(out.exit_code, 2);
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "infra") << r.dump(2);
  EXPECT_EQ(r["infra"]["kind"], "guest_silent");
  EXPECT_LT(r["run_seconds"].get<double>(), 60.0) << "the watchdog, not the duration, ended it";
}

TEST(Guest, CtrlCStopsQemuAndKeepsTheRun) {
  SessionOptions o = options("machine: {accel: tcg}\nduration: 60s\n");
  int qemu_pid = -1;
  o.on_ready = [&](Session& s) { ::raise(SIGINT); };
  auto out = run_session(o);
  EXPECT_EQ(out.exit_code, 2);
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "infra") << r.dump(2);
  EXPECT_EQ(r["infra"]["kind"], "interrupted");
  EXPECT_EQ(r["infra"]["detail"]["signal"], SIGINT);
  // QEMU is gone, and the run directory has everything.
  std::string j = read_file_text(out.run_dir / "journal.jsonl");
  EXPECT_NE(j.find("\"qemu_exit\""), std::string::npos);
  for (const char* f : {"config.yaml", "seed", "image.json", "qemu.cmdline", "console.log", "qmp.jsonl", "result.json"})
    EXPECT_TRUE(fs::exists(out.run_dir / f)) << f;
  (void)qemu_pid;
}

// A real kernel crash end to end: the guest panics (sysrq 'c'), panic=-1 + -no-reboot
// make QEMU exit, the console's report becomes the verdict and exit status 1.
TEST(Guest, KernelPanicIsAKernelCrash) {
  SessionOptions o = options("machine: {accel: tcg}\nhotplug: {enabled: false}\nduration: 60s\n");
  o.on_ready = [](Session& s) { s.agent_exec({"/bin/sh", "-c", "echo c > /proc/sysrq-trigger"}); };
  auto out = run_session(o);
  EXPECT_EQ(out.exit_code, 1);
  const auto& r = out.result;
  ASSERT_EQ(r["result"], "kernel_crash") << r.dump(2);
  EXPECT_EQ(r["crash"]["title"], "kernel panic: sysrq triggered crash");
  EXPECT_NE(r["crash"]["report"].get<std::string>().find("sysrq triggered crash"), std::string::npos);
  EXPECT_LT(r["run_seconds"].get<double>(), 30.0);
}

// Another local user's trap at the old socket path: pcirig-PID-<seed mod 100000> under
// the temp dir (the name the rig used when the run id made the first one too long),
// made first, open to all, owned by someone else, with sockets listening where QEMU
// would connect for QMP, console and agent. The rig must not go near it. In the same
// run the guest sends lines over the cap (lowered to 64 KiB: the serial port moves
// ~35 KB/s under TCG): an exec reply carrying 64 KiB of output on the agent channel
// (dropped whole, the run goes on) and a 200 KB console line (its head kept); each
// cut, counted in result.json and journaled.
TEST(Guest, PlantedSocketDirIsNotUsedAndLongConsoleLineIsCut) {
  SessionOptions o = options("machine: {accel: tcg}\nhotplug: {enabled: false}\nduration: 15s\nseed: 4242\n");
  o.tag = std::string(60, 't');  // the old code's first name was too long: it took the planted one
  o.max_input_line = 64 << 10;
  const fs::path planted = fs::temp_directory_path() / ("pcirig-" + std::to_string(getpid()) + "-4242");
  fs::remove_all(planted);
  fs::create_directory(planted);
  ASSERT_EQ(::chmod(planted.c_str(), 0777), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(planted.c_str(), 65534, 65534), 0);  // nobody's
  }
  std::vector<int> traps;
  for (const char* name : {"qmp.sock", "con.sock", "agent.sock"}) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", (planted / name).c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << name;
    ASSERT_EQ(::listen(fd, 4), 0);
    traps.push_back(fd);
  }
  o.on_ready = [](Session& s) {
    s.agent_exec({"/bin/sh", "-c", "head -c 70000 /dev/zero | tr '\\000' y"});  // the agent caps output at 64 KiB
    s.agent_exec({"/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\000' x > /dev/ttyS0; echo > /dev/ttyS0"});
  };
  auto out = run_session(o);
  const auto& r = out.result;
  EXPECT_EQ(r["result"], "clean") << r.dump(2);
  std::printf("result.json input: %s\n", r["input"].dump().c_str());
  for (int fd : traps) {
    EXPECT_LT(::accept(fd, nullptr, nullptr), 0) << "something connected to the planted socket";
    EXPECT_EQ(errno, EAGAIN);
    ::close(fd);
  }
  std::string journal = read_file_text(out.run_dir / "journal.jsonl");
  size_t at = journal.find(R"("ev":"sockets")");
  ASSERT_NE(at, std::string::npos) << journal;
  auto sockets = nlohmann::json::parse(journal.substr(journal.rfind('\n', at) + 1, journal.find('\n', at) - journal.rfind('\n', at) - 1));
  fs::path used = sockets["dir"].get<std::string>();
  EXPECT_NE(used, planted);
  EXPECT_FALSE(fs::exists(used)) << "the socket directory outlived the run";
  EXPECT_TRUE(fs::exists(planted / "qmp.sock"));
  fs::remove_all(planted);
  // The exec finished within the run; the line went to console.log whole, cut in memory.
  EXPECT_NE(journal.find(R"("ev":"agent_exec_reply","ok":true)"), std::string::npos) << journal;
  // Each console line over the cap loses what is past it, up to its newline (the tty may
  // add a \r before it). A kernel message can land inside the 200 KB line (e.g. "hrtimer:
  // interrupt took N ns" under load) and split it: count from what console.log holds.
  std::string console = read_file_text(out.run_dir / "console.log");
  size_t long_lines = 0, past_cap = 0;
  for (size_t b = 0, e; b < console.size(); b = e + 1) {
    e = console.find('\n', b);
    if (e == std::string::npos) e = console.size();
    if (e - b > size_t(64 << 10)) long_lines++, past_cap += e - b - (64 << 10);
  }
  ASSERT_GE(long_lines, 1u);
  EXPECT_EQ(r["input"]["console"]["cut_lines"].get<size_t>(), long_lines) << r["input"].dump();
  EXPECT_NEAR(r["input"]["console"]["dropped_bytes"].get<double>(), double(past_cap), double(long_lines)) << r["input"].dump();
  EXPECT_NE(journal.find(R"("ev":"line_cut","ch":"console")"), std::string::npos) << journal;
  EXPECT_EQ(r["protocol_errors"], 0);
  EXPECT_GE(fs::file_size(out.run_dir / "console.log"), 200000u);
  EXPECT_EQ(r["input"]["agent"]["cut_lines"], 1) << r["input"].dump();
  EXPECT_GT(r["input"]["agent"]["dropped_bytes"].get<int>(), 64 << 10) << r["input"].dump();
  EXPECT_NE(journal.find(R"("ev":"line_cut","ch":"agent")"), std::string::npos) << journal;
  EXPECT_GT(r["agent"]["config_reads"].get<long>(), 0) << "the agent channel went on after the cut line";
}

// Snapshots (docs/rig.md "Snapshots"). The first run of a tuple takes one at
// agent-ready; the next restores it, plugs the cold nvme a snapshot cannot hold, and
// runs the workload. A changed tuple never restores it, and --no-snapshot boots cold.
std::string snapshot_yaml(int memory_mb) {
  return R"(
machine: {vcpus: 2, accel: tcg, memory_mb: )" + std::to_string(memory_mb) + R"(}
topology:
  root_ports:
    - {id: rp1, slot: 1}
    - {id: rp2, slot: 2}
templates:
  net: {driver: virtio-net-pci}
  nvme: {driver: nvme, disk_mb: 8}
devices:
  - {id: net0, template: net, bus: rp1}
  - {id: nvme0, template: nvme, bus: rp2}
workload: {readers: 1, resetters: 1, reset_interval_ms: 50}
hotplug: {enabled: false}
duration: 4s
)";
}

// Snapshots on, kept in a directory of the test's own.
SessionOptions snapshot_options(int memory_mb, const fs::path& snaps) {
  SessionOptions o = options(snapshot_yaml(memory_mb));
  o.snapshot = true;
  o.snapshot_dir = snaps;
  return o;
}

TEST(Guest, SnapshotTakenRestoredAndNeverStale) {
  const fs::path snaps = runs_dir() / "snapshots-1";
  SessionOptions o = snapshot_options(1024, snaps);
  auto a = run_session(o);
  ASSERT_EQ(a.exit_code, 0) << a.result.dump(2);
  const auto& sa = a.result["start"];
  ASSERT_EQ(sa["mode"], "snapshot_taken") << sa;
  EXPECT_EQ(sa["plugged_after_start"], nlohmann::json::array({"nvme0"}));
  EXPECT_GT(sa["snapshot_bytes"].get<double>(), 1 << 20) << sa;

  auto b = run_session(o);
  ASSERT_EQ(b.exit_code, 0) << b.result.dump(2);
  const auto& sb = b.result["start"];
  ASSERT_EQ(sb["mode"], "snapshot") << sb;
  EXPECT_EQ(sb["snapshot"], sa["snapshot"]);
  EXPECT_EQ(sb["plugged_after_start"], nlohmann::json::array({"nvme0"}));
  // The restored guest ran the workload, saw the nvme arrive, and its run says how it started.
  EXPECT_GT(b.result["agent"]["config_reads"].get<int64_t>(), 0) << b.result["agent"];
  EXPECT_GE(b.result["agent"]["pci_adds"].get<int64_t>(), 1) << b.result["agent"];
  EXPECT_NE(read_file_text(b.run_dir / "qemu.cmdline").find("-incoming"), std::string::npos);
  EXPECT_NE(read_file_text(b.run_dir / "journal.jsonl").find("\"snapshot_restored\""), std::string::npos);
  // The kernel announced the nvme's disk after its partition scan, and that settled it:
  // no calm waited out (rig/agent/disk_announcements.hpp).
  nlohmann::json settle;
  std::istringstream journal(read_file_text(b.run_dir / "journal.jsonl"));
  for (std::string line; std::getline(journal, line);)
    if (auto e = nlohmann::json::parse(line, nullptr, false); e.is_object() && e.value("ev", "") == "settle") settle = e;
  EXPECT_EQ(settle.value("settled", false), true) << settle;
  EXPECT_EQ(settle.value("by", ""), "announcements") << settle;

  // Another tuple (less memory): a snapshot of its own, never the first one.
  SessionOptions c = snapshot_options(768, snaps);
  auto cc = run_session(c);
  ASSERT_EQ(cc.exit_code, 0) << cc.result.dump(2);
  EXPECT_EQ(cc.result["start"]["mode"], "snapshot_taken") << cc.result["start"];
  EXPECT_NE(cc.result["start"]["snapshot"], sa["snapshot"]);
  EXPECT_EQ(read_file_text(cc.run_dir / "qemu.cmdline").find("-incoming"), std::string::npos);

  SessionOptions d = o;
  d.snapshot = false;
  auto dd = run_session(d);
  ASSERT_EQ(dd.exit_code, 0) << dd.result.dump(2);
  EXPECT_EQ(dd.result["start"]["mode"], "cold");
  EXPECT_NE(dd.result["start"].value("why_cold", "").find("--no-snapshot"), std::string::npos) << dd.result["start"];
}

// A snapshot that does not load (cut short here) is removed; the run is done again from
// a cold boot, which takes a new one, and the failed attempt's directory says why.
TEST(Guest, SnapshotThatDoesNotLoadIsRetakenFromAColdBoot) {
  const fs::path snaps = runs_dir() / "snapshots-2";
  SessionOptions o = snapshot_options(1024, snaps);
  auto a = run_session(o);
  ASSERT_EQ(a.exit_code, 0) << a.result.dump(2);
  const fs::path vmstate = snaps / a.result["start"]["snapshot"].get<std::string>() / "vmstate";
  ASSERT_TRUE(fs::exists(vmstate));
  fs::resize_file(vmstate, fs::file_size(vmstate) / 2);

  auto b = run_session(o);
  ASSERT_EQ(b.exit_code, 0) << b.result.dump(2);
  EXPECT_EQ(b.result["start"]["mode"], "snapshot_taken") << b.result["start"];
  ASSERT_TRUE(b.result["start"].contains("retry_of")) << b.result["start"];
  fs::path failed = b.result["start"]["retry_of"].get<std::string>();
  auto fr = nlohmann::json::parse(read_file_text(failed / "result.json"));
  EXPECT_EQ(fr["result"], "infra") << fr.dump(2);
  EXPECT_EQ(fr["start"]["mode"], "snapshot");
  // The saved copy of the retried run says it too.
  auto saved = nlohmann::json::parse(read_file_text(b.run_dir / "result.json"));
  EXPECT_EQ(saved["start"]["retry_of"], failed.string());
  EXPECT_GT(fs::file_size(vmstate), 0u);
}
