// Snapshots (rig/src/snapshot/): which topologies a snapshot can hold, that every input
// of the guest's state changes the key (a stale snapshot is never restored), and the
// store's all-or-nothing files. The guest side is in guest_test.cpp (Snapshot*).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/topology.hpp"
#include "snapshot/snapshot_key.hpp"
#include "snapshot/snapshot_plan.hpp"
#include "snapshot/snapshot_ram.hpp"
#include "snapshot/snapshot_store.hpp"
#include "util/private_dir.hpp"

using namespace pcirig;
namespace fs = std::filesystem;

namespace {
Topology topo(const std::string& extra_devices = "", int memory_mb = 1024) {
  return load_topology_text(R"(
machine: {vcpus: 2, accel: tcg, memory_mb: )" + std::to_string(memory_mb) + R"(}
topology:
  root_ports:
    - {id: rp1, slot: 1}
    - {id: rp2, slot: 2}
    - {id: rp3, slot: 3, hotplug: false}
templates:
  net: {driver: virtio-net-pci}
  nvme: {driver: nvme, disk_mb: 8}
devices:
  - {id: net0, template: net, bus: rp1}
)" + extra_devices + R"(
hotplug: {enabled: false}
)",
                            "snapshot_test.yaml");
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

struct Files {
  fs::path dir = make_private_dir(fs::temp_directory_path(), "pcirig-snapshot-test-");
  KernelImage image;
  Files() {
    image.name = "test";
    image.kernel = dir / "vmlinux", image.initramfs = dir / "initramfs.cpio.gz";
    write(image.kernel, "kernel");
    write(image.initramfs, "initramfs");
    image.info = {{"cache_key", "abc"}};
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string key(const Topology& t, const std::string& accel = "tcg", const std::string& sockets = "/tmp/a") {
    LaunchSpec spec;
    spec.accel = accel;
    spec.kernel = image.kernel, spec.initramfs = image.initramfs;
    spec.qmp_socket = sockets + "/qmp.sock", spec.console_socket = sockets + "/con.sock";
    spec.agent_socket = sockets + "/agent.sock", spec.disk_dir = sockets + "/disks";
    return snapshot_key(identity_text(snapshot_identity(snapshot_argv(plan_snapshot(t).boot, spec), accel, image, spec.qemu)));
  }
};
}  // namespace

TEST(SnapshotPlan, NvmeIsPluggedAfterTheRestore) {
  auto p = plan_snapshot(topo("  - {id: nvme0, template: nvme, bus: rp2}"));
  ASSERT_TRUE(p.possible) << p.why_not;
  ASSERT_EQ(p.after_restore.size(), 1u);
  EXPECT_EQ(p.after_restore[0].id, "nvme0");
  ASSERT_EQ(p.boot.devices.size(), 1u);
  EXPECT_EQ(p.boot.devices[0].id, "net0");
}

TEST(SnapshotPlan, NvmeOnAPortWithoutHotplugBootsCold) {
  auto p = plan_snapshot(topo("  - {id: nvme0, template: nvme, bus: rp3}"));
  EXPECT_FALSE(p.possible);
  EXPECT_NE(p.why_not.find("nvme0"), std::string::npos) << p.why_not;
  EXPECT_NE(p.why_not.find("rp3"), std::string::npos) << p.why_not;
}

TEST(SnapshotPlan, MigratableTopologyIsHeldWhole) {
  auto p = plan_snapshot(topo());
  ASSERT_TRUE(p.possible);
  EXPECT_TRUE(p.after_restore.empty());
  EXPECT_EQ(p.boot.devices.size(), 1u);
}

TEST(SnapshotKey, RunPathsDoNotCountEverythingElseDoes) {
  Files f;
  const std::string base = f.key(topo());
  EXPECT_EQ(base, f.key(topo(), "tcg", "/tmp/another-run")) << "socket and disk paths differ every run";
  EXPECT_EQ(base, f.key(topo())) << "the same inputs give the same key";
  EXPECT_NE(base, f.key(topo("", 768))) << "machine";
  EXPECT_NE(base, f.key(topo("  - {id: net1, template: net, bus: rp2}"))) << "a cold device";
  EXPECT_NE(base, f.key(topo(), "kvm")) << "accelerator";
  // nvme stays out of the snapshot: where it goes does not change what the snapshot holds.
  EXPECT_EQ(base, f.key(topo("  - {id: nvme0, template: nvme, bus: rp2}")));
  Topology cmdline = topo();
  cmdline.cmdline_extra = "pci=nocrs";
  EXPECT_NE(base, f.key(cmdline)) << "guest command line";
  // A rebuilt kernel or initramfs: another size or time.
  write(f.image.initramfs, "initramfs, rebuilt");
  const std::string after_initramfs = f.key(topo());
  EXPECT_NE(base, after_initramfs);
  fs::last_write_time(f.image.kernel, fs::last_write_time(f.image.kernel) + std::chrono::seconds(5));
  EXPECT_NE(after_initramfs, f.key(topo()));
  const std::string now = f.key(topo());
  f.image.info["cache_key"] = "def";
  EXPECT_NE(now, f.key(topo())) << "the image's recipe";
}

TEST(SnapshotStore, CommitFindRemoveAndPrune) {
  Files f;
  SnapshotStore store(f.dir / "snapshots");
  EXPECT_FALSE(store.find("k1", "identity 1"));
  fs::path tmp = store.begin("k1");
  write(tmp / "vmstate", "state");
  write(tmp / "ram", "ram");
  ASSERT_TRUE(store.commit(tmp, "k1", {{"identity", "identity 1"}, {"ready", {{"type", "ready"}}}}));
  auto e = store.find("k1", "identity 1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->meta["ready"]["type"], "ready");
  EXPECT_FALSE(store.find("k1", "identity 2")) << "a key whose stored identity differs is not that snapshot";
  // A second snapshot of the same tuple (a parallel run) loses; the first stays whole.
  fs::path tmp2 = store.begin("k1");
  write(tmp2 / "vmstate", "other");
  write(tmp2 / "ram", "other");
  EXPECT_FALSE(store.commit(tmp2, "k1", {{"identity", "identity 1"}}));
  EXPECT_FALSE(fs::exists(tmp2));
  EXPECT_TRUE(store.find("k1", "identity 1"));
  // An empty state file is no snapshot; nor is one without its RAM image.
  fs::path tmp3 = store.begin("k3");
  write(tmp3 / "vmstate", "");
  write(tmp3 / "ram", "ram");
  ASSERT_TRUE(store.commit(tmp3, "k3", {{"identity", "identity 3"}}));
  EXPECT_FALSE(store.find("k3", "identity 3"));
  fs::path tmp4 = store.begin("k4");
  write(tmp4 / "vmstate", "state");
  ASSERT_TRUE(store.commit(tmp4, "k4", {{"identity", "identity 4"}}));
  EXPECT_FALSE(store.find("k4", "identity 4")) << "a snapshot without `ram` (taken before RAM files) is none";
  store.remove("k4");
  store.remove("k1");
  EXPECT_FALSE(store.find("k1", "identity 1"));
  for (int i = 0; i < 4; i++) {
    fs::path t = store.begin("p" + std::to_string(i));
    write(t / "vmstate", "s");
    write(t / "ram", "r");
    ASSERT_TRUE(store.commit(t, "p" + std::to_string(i), {{"identity", "i"}}));
    fs::last_write_time(store.dir() / ("p" + std::to_string(i)), fs::file_time_type::clock::now() + std::chrono::seconds(i));
  }
  EXPECT_EQ(store.prune(2), 3) << "k3, p0, p1 go";
  EXPECT_TRUE(store.find("p3", "i"));
  EXPECT_TRUE(store.find("p2", "i"));
  EXPECT_FALSE(fs::exists(store.dir() / "p0"));
}

TEST(SnapshotRam, CopyKeepsTheDataAndLeavesHolesAndZeroPagesOut) {
  Files f;
  fs::path from = f.dir / "ram-in", to = f.dir / "ram-out";
  const off_t size = 64 << 20;
  {
    int fd = ::open(from.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, size), 0);
    std::string page(4096, 'x');
    ASSERT_EQ(::pwrite(fd, page.data(), page.size(), 0), ssize_t(page.size()));
    ASSERT_EQ(::pwrite(fd, page.data(), 100, (32 << 20) + 4096 + 7), 100);  // inside a page
    std::string zeros(8192, '\0');  // written, but zero: data in the source, a hole in the copy
    ASSERT_EQ(::pwrite(fd, zeros.data(), zeros.size(), 48 << 20), ssize_t(zeros.size()));
    ASSERT_EQ(::pwrite(fd, page.data(), page.size(), size - 4096), ssize_t(page.size()));  // the last page
    ::close(fd);
  }
  uint64_t written = copy_ram_image(from, to);
  EXPECT_EQ(written, 3u * 4096) << "three non-zero pages";
  EXPECT_EQ(fs::file_size(to), uint64_t(size));
  std::ifstream a(from, std::ios::binary), b(to, std::ios::binary);
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_TRUE(sa == sb) << "the copy reads back the same bytes";
  struct stat st{};
  ASSERT_EQ(::stat(to.c_str(), &st), 0);
  EXPECT_LT(uint64_t(st.st_blocks) * 512, uint64_t(1) << 20) << "sparse: only the data pages are allocated";
  EXPECT_THROW(copy_ram_image(f.dir / "missing", to), std::runtime_error);
}

TEST(SnapshotRam, StaleDirectoriesOfDeadProcessesAreSwept) {
  Files f;
  fs::path mine = make_ram_dir(f.dir);
  fs::path parent = mine.parent_path();
  // A pid that cannot be running: above the kernel's pid_max limit (4194304).
  fs::path orphan = parent / "pcirig-ram-9999999-abcdef";
  fs::create_directories(orphan);
  write(orphan / "ram", "left by a kill -9");
  EXPECT_GE(sweep_stale_ram_dirs(f.dir), 1);
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(fs::exists(mine)) << "this process's own directory stays";
  fs::remove_all(mine);
}
