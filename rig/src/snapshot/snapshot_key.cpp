#include "snapshot/snapshot_key.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "qemu/qemu_process.hpp"

namespace fs = std::filesystem;
namespace pcirig {

std::vector<std::string> snapshot_argv(const Topology& boot, LaunchSpec spec) {
  spec.qmp_socket = "SOCKETS/qmp.sock";
  spec.console_socket = "SOCKETS/con.sock";
  spec.agent_socket = "SOCKETS/agent.sock";
  spec.disk_dir = "DISKS";
  spec.ram_file = "RAM";  // taken shared, restored private: the same snapshot
  spec.ram_shared = false;
  return qemu_argv(boot, spec);
}

std::string file_identity(const fs::path& p) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0) return fmt::format("{} missing", p.string());
  return fmt::format("{} {} {}", fs::absolute(p).string(), uint64_t(st.st_size),
                     uint64_t(st.st_mtim.tv_sec) * 1000000000ull + uint64_t(st.st_mtim.tv_nsec));
}

std::string qemu_identity(const std::string& qemu) {
  std::string bin = qemu;
  if (bin.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty() && ::access((fs::path(dir) / qemu).c_str(), X_OK) == 0) {
        bin = (fs::path(dir) / qemu).string();
        break;
      }
  }
  std::error_code ec;
  fs::path real = fs::canonical(bin, ec);
  std::string binary = file_identity(ec ? fs::path(bin) : real);
  // `qemu --version` costs ~0.1 s: once per binary per process.
  static std::mutex m;
  static std::map<std::string, std::string> versions;
  std::lock_guard<std::mutex> lock(m);
  auto it = versions.find(binary);
  if (it == versions.end()) it = versions.emplace(binary, qemu_version(qemu)).first;
  return it->second + " | " + binary;
}

SnapshotIdentity snapshot_identity(const std::vector<std::string>& argv, const std::string& accel,
                                   const KernelImage& image, const std::string& qemu) {
  SnapshotIdentity id;
  id.argv = argv;
  id.accel = accel;
  id.qemu = qemu_identity(qemu);
  id.kernel = file_identity(image.kernel) + " " + image.info.value("cache_key", "");
  id.initramfs = file_identity(image.initramfs);
  return id;
}

std::string identity_text(const SnapshotIdentity& id) {
  std::string s = "pcirig snapshot v2\naccel " + id.accel + "\nqemu " + id.qemu + "\nkernel " + id.kernel +
                  "\ninitramfs " + id.initramfs + "\n";
  for (const auto& a : id.argv) s += "arg " + a + "\n";
  return s;
}

std::string snapshot_key(const std::string& text) {
  // Two FNV-1a lanes: a name, not a check; lookup compares the whole text.
  uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  for (unsigned char c : text) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b ^ (c + 0x9e)) * 0x100000001b3ULL;
  }
  return fmt::format("{:016x}{:016x}", a, b);
}
}  // namespace pcirig
