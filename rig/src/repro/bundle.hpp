// A crash bundle: one directory with everything a colleague needs to replay a crash
// on another machine (docs/repro.md): config, seed, journal, workload, the kernel's
// identity, QEMU's command line, the console excerpt, and with --with-kernel the
// kernel image and initramfs themselves. `pcirig repro BUNDLE` takes it as it takes
// a run directory.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "images/kernel_image.hpp"

namespace pcirig {

inline constexpr const char* kBundleManifest = "bundle.json";
inline constexpr int kBundleFormat = 1;

// Writes the bundle of run_dir to out (default: run_dir/bundle); returns its path.
// The run is checked as repro checks it first: a bad run makes no bundle.
std::filesystem::path write_bundle(const std::filesystem::path& run_dir, std::filesystem::path out, bool with_kernel);

// After a run: a crash leaves its bundle (a failure to write one is logged, the run stands).
void leave_crash_bundle(const std::filesystem::path& run_dir, const nlohmann::json& result, bool with_kernel);

// Throws ReproInputError when bundle.json is missing, corrupt or of another format.
void check_bundle_manifest(const std::filesystem::path& bundle);
// The bundle's kernel files as an image, when it carries them.
std::optional<KernelImage> bundled_kernel(const std::filesystem::path& bundle, const nlohmann::json& identity);
}  // namespace pcirig
