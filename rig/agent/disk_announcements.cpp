#include "disk_announcements.hpp"

#include <system_error>

namespace pcirig::agent {

std::vector<std::string> present_disks(const SysfsRoot& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(root.root / "sys/block", ec), end; !ec && it != end; it.increment(ec))
    out.push_back(it->path().filename().string());
  return out;
}

std::string sysfs_block_name(std::string_view devname) {
  std::string s(devname);
  for (char& c : s)
    if (c == '/') c = '!';
  return s;
}

void DiskAnnouncements::baseline(const std::vector<std::string>& disks, const std::vector<std::string>& pci_bdfs) {
  std::lock_guard<std::mutex> l(m_);
  before_.insert(disks.begin(), disks.end());
  pci_before_.insert(pci_bdfs.begin(), pci_bdfs.end());
}

void DiskAnnouncements::note(const Uevent& u) {
  if (u.subsystem == "pci") {  // an add, a bind, a remove: news for a settle waiting on a function
    {
      std::lock_guard<std::mutex> l(m_);
      if (u.action == "remove") pci_before_.erase(std::string(u.devpath.substr(u.devpath.rfind('/') + 1)));  // npos + 1: all
      generation_++;
    }
    news_.notify_all();
    return;
  }
  if (u.subsystem != "block" || u.devtype != "disk" || u.devname.empty()) return;
  std::string name = sysfs_block_name(u.devname);
  {
    std::lock_guard<std::mutex> l(m_);
    if (u.action == "add") {
      announced_.insert(name);
    } else if (u.action == "remove") {
      announced_.erase(name);  // the next disk of that name is a new one
      before_.erase(name);
    } else {
      return;
    }
    generation_++;
  }
  news_.notify_all();
}

void DiskAnnouncements::lost() {
  std::lock_guard<std::mutex> l(m_);
  lost_ = true;
}

void DiskAnnouncements::vouch(const std::vector<std::string>& disks) {
  std::lock_guard<std::mutex> l(m_);
  announced_.insert(disks.begin(), disks.end());
}

DiskAnnouncements::Known DiskAnnouncements::known(const std::string& disk) const {
  std::lock_guard<std::mutex> l(m_);
  if (announced_.count(disk)) return Known::announced;
  if (lost_ || before_.count(disk)) return Known::before_watch;
  return Known::unannounced;
}

bool DiskAnnouncements::pci_came_after_watch(const std::string& bdf) const {
  std::lock_guard<std::mutex> l(m_);
  return !pci_before_.count(bdf);
}

void DiskAnnouncements::wait_for_news(std::chrono::milliseconds at_most) const {
  std::unique_lock<std::mutex> l(m_);
  unsigned long g = generation_;
  news_.wait_for(l, at_most, [&] { return generation_ != g; });
}

}  // namespace pcirig::agent
