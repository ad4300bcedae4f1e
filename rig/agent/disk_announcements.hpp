// Which disks have had their partition scan. The block layer sends a disk's "add"
// uevent only once its partition table has been read and its partitions created
// (Linux 2.6.17, "[BLOCK] delay all uevents until partition table is scanned"), so
// a disk the kernel announced has no scan to come. Also which PCI functions came
// after the watch opened: a storage function among them without a driver yet is
// still to probe, and the PCI add the rig waits for comes before the bind. Shared by
// the agent's loop, which drains the uevents, and settle, which waits on them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sysfs_root.hpp"
#include "uevent_watch.hpp"

namespace pcirig::agent {

class DiskAnnouncements {
 public:
  enum class Known {
    announced,     // its add uevent came, or a calm settle vouched for it: scanned
    before_watch,  // there before the watch (or when uevents were lost): unknown
    unannounced,   // came after the watch opened, not announced yet: scan to come
  };

  // The disks under /sys/block and the PCI functions when the uevent socket opened
  // (call after opening it).
  void baseline(const std::vector<std::string>& disks, const std::vector<std::string>& pci_bdfs);
  // A disk's add announces it, its remove forgets it; a PCI function's remove forgets it.
  void note(const Uevent& u);
  // Uevents were dropped: every disk not announced is unknown from now on.
  void lost();
  // A settle that saw these disks calm vouches for them (a snapshot's disks, restored).
  void vouch(const std::vector<std::string>& disks);

  Known known(const std::string& disk) const;
  bool pci_came_after_watch(const std::string& bdf) const;
  // Returns at the next note() or after `at_most`, whichever is first.
  void wait_for_news(std::chrono::milliseconds at_most) const;

 private:
  mutable std::mutex m_;
  mutable std::condition_variable news_;
  std::set<std::string> announced_, before_, pci_before_;
  bool lost_ = false;
  unsigned long generation_ = 0;
};

// The names under /sys/block.
std::vector<std::string> present_disks(const SysfsRoot& root);

// /sys/block's name for a DEVNAME: a '/' in it is '!' there (cciss/c0d0).
std::string sysfs_block_name(std::string_view devname);

}  // namespace pcirig::agent
