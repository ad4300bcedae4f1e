// The guest RAM file of a snapshot. While a snapshot is being taken, QEMU maps the
// guest's RAM shared from a file in memory (/dev/shm), so `migrate` leaves RAM out of
// the stream and the file is the RAM image; the rig copies it, without its holes and
// zero pages, into the snapshot. A restore maps that copy privately: pages come in as
// the guest touches them, and the guest's writes never reach the snapshot.
#pragma once
#include <cstdint>
#include <filesystem>

namespace pcirig {

// A private directory for one run's RAM file, named after this process so that
// sweep_stale_ram_dirs() can tell an orphan (its process died, kill -9) from a live one.
// /dev/shm when it is there, else `fallback`.
std::filesystem::path make_ram_dir(const std::filesystem::path& fallback);
// Removes the RAM directories of processes that no longer exist; returns how many.
int sweep_stale_ram_dirs(const std::filesystem::path& fallback);

// Copies `from` to `to` at the same size, leaving out holes and all-zero pages (a
// sparse file). Returns the bytes written. Throws with the file and the errno text
// (ENOSPC: the disk is full).
uint64_t copy_ram_image(const std::filesystem::path& from, const std::filesystem::path& to);
}  // namespace pcirig
