// A fake sysfs/dev tree in a temp dir for the agent's unit tests: real files
// and symlinks laid out as the kernel lays them out, removed at the end.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace pcirig::test {

class FakeSysfs {
 public:
  FakeSysfs() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pcirig-fake-sysfs-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
    root_ = tmpl;
    std::filesystem::create_directories(root_ / "sys/bus/pci/devices");
    std::filesystem::create_directories(root_ / "sys/bus/pci/drivers");
    std::filesystem::create_directories(root_ / "sys/bus/pci/slots");
    std::filesystem::create_directories(root_ / "sys/class/virtio-ports");
    std::filesystem::create_directories(root_ / "dev");
    write(root_ / "sys/bus/pci/rescan", "");
  }
  ~FakeSysfs() { std::filesystem::remove_all(root_); }

  const std::filesystem::path& root() const { return root_; }

  static void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  // A PCI function as /sys/bus/pci/devices/BDF (a real directory here; the
  // kernel's is a symlink into /sys/devices, which the agent does not rely on).
  std::filesystem::path add_device(const std::string& bdf, const std::string& vendor, const std::string& device,
                                   const std::string& cls, const std::string& driver = "",
                                   std::size_t config_size = 256, bool reset = false) {
    auto dir = root_ / "sys/bus/pci/devices" / bdf;
    write(dir / "vendor", vendor + "\n");
    write(dir / "device", device + "\n");
    write(dir / "class", cls + "\n");
    write(dir / "config", std::string(config_size, '\x5a'));
    if (reset) write(dir / "reset", "");
    if (!driver.empty()) {
      std::filesystem::create_directories(root_ / "sys/bus/pci/drivers" / driver);
      write(root_ / "sys/bus/pci/drivers" / driver / "bind", "");
      std::filesystem::create_symlink("../../drivers/" + driver, dir / "driver");
    }
    return dir;
  }

  void add_slot(const std::string& name, const std::string& address) {
    write(root_ / "sys/bus/pci/slots" / name / "address", address + "\n");
    write(root_ / "sys/bus/pci/slots" / name / "power", "1\n");
  }

  void remove_device(const std::string& bdf) { std::filesystem::remove_all(root_ / "sys/bus/pci/devices" / bdf); }

 private:
  std::filesystem::path root_;
};

}  // namespace pcirig::test
