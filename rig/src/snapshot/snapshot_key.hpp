// The identity of a snapshot: everything that shapes the guest's state at agent-ready.
// QEMU's command line for the booted topology (with the run's own socket and disk
// paths replaced, since they differ every run), the accelerator, QEMU's version and
// binary, and the kernel and initramfs files. A change to any of them is another key,
// so a stale snapshot is never restored.
#pragma once
#include <string>
#include <vector>

#include "config/topology.hpp"
#include "images/kernel_image.hpp"
#include "qemu/cmdline.hpp"

namespace pcirig {

struct SnapshotIdentity {
  std::vector<std::string> argv;  // qemu_argv() of the booted topology, run paths replaced
  std::string accel;
  std::string qemu;               // version line and binary identity
  std::string kernel, initramfs;  // file identities
};

// QEMU's command line for `boot` with the run's own socket and disk paths replaced by
// fixed names: they are not part of the guest's state.
std::vector<std::string> snapshot_argv(const Topology& boot, LaunchSpec spec);
// "path size mtime_ns" of a file: changes when the file is rebuilt or replaced.
std::string file_identity(const std::filesystem::path& p);
// QEMU's version line plus its binary's file identity (found on PATH).
std::string qemu_identity(const std::string& qemu);
SnapshotIdentity snapshot_identity(const std::vector<std::string>& argv, const std::string& accel,
                                   const KernelImage& image, const std::string& qemu);

// The canonical text of an identity (stored beside the snapshot and compared in full
// on lookup) and a short name for its directory (a 128-bit hash of that text).
std::string identity_text(const SnapshotIdentity& id);
std::string snapshot_key(const std::string& identity_text);
}  // namespace pcirig
