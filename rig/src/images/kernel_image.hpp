// Kernel images from guest-images/ (docs/CONTRACTS.md "Guest images"):
// $PCIRIG_CACHE/images/NAME/image.json names the vmlinux and initramfs.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace pcirig {
struct KernelImage {
  std::string name;
  std::filesystem::path kernel, initramfs, image_json;
  nlohmann::json info;  // image.json as read
};

std::filesystem::path cache_dir();  // $PCIRIG_CACHE or ~/.cache/pcirig
std::filesystem::path repo_root();  // $PCIRIG_ROOT, else found from the binary's location
// NAME (an image in the cache), a path to an image.json (or its directory), or a
// path to a kernel tree or a vmlinux/bzImage, which guest-images/build.sh packs
// (--tree / --image) under a name derived from the path. Builds a missing NAME
// with guest-images/build.sh --kernel NAME --if-needed when build is true.
// Throws std::runtime_error with what went wrong.
KernelImage find_kernel_image(const std::string& name_or_path, bool build);
}  // namespace pcirig
