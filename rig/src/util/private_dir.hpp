// A directory only this user can enter, at a name nobody can guess or claim first:
// mkdtemp (mode 0700, fails rather than reuse an existing name), then checked (a real
// directory, ours, no group/other bits) before anything is put in it. For the QMP,
// console and agent sockets: QEMU connects to whatever listens there.
#pragma once
#include <filesystem>
#include <string>

namespace pcirig {
// parent/<prefix>XXXXXX; throws std::runtime_error naming the path and the reason.
std::filesystem::path make_private_dir(const std::filesystem::path& parent, const std::string& prefix);
}  // namespace pcirig
