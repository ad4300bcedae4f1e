#include "settle.hpp"

#include <optional>
#include <regex>
#include <system_error>
#include <thread>

#include "pci_devices.hpp"

namespace pcirig::agent {

namespace fs = std::filesystem;

namespace {

// The namespaces below a controller: nvme0n1, or nvme0c0n1 (a path, hidden) under
// native multipath.
std::vector<std::string> namespaces(const fs::path& ctrl) {
  static const std::regex ns("nvme[0-9]+(c[0-9]+)?n[0-9]+");
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(ctrl, ec), end; !ec && it != end; it.increment(ec))
    if (std::string n = it->path().filename().string(); std::regex_match(n, ns)) out.push_back(n);
  return out;
}

bool has_sectors(const std::optional<std::string>& size) {
  return size && size->find_first_of("123456789") != std::string::npos;
}

// A disk with sectors and not one read completed: its partition scan (the kernel's
// first reads of every new disk) has not run yet. /sys/block/X/stat's first field is
// the reads completed.
bool never_read(const std::string& stat, const std::optional<std::string>& size) {
  if (!has_sectors(size)) return false;  // no sectors: no scan
  std::size_t b = stat.find_first_not_of(" \t");
  if (b == std::string::npos) return false;
  std::size_t e = stat.find_first_not_of("0123456789", b);
  return stat.substr(b, e == std::string::npos ? std::string::npos : e - b) == "0";
}

using Known = DiskAnnouncements::Known;
Known known(const DiskAnnouncements* disks, const std::string& name) {
  return disks ? disks->known(name) : Known::before_watch;
}

}  // namespace

StorageLook look_at_storage(const SysfsRoot& root, const DiskAnnouncements* disks) {
  StorageLook look;
  std::error_code ec;
  if (disks)
    for (const auto& d : list_pci_devices(root))
      if (d.class_code.rfind("0x01", 0) == 0 && !d.driver && disks->pci_came_after_watch(d.bdf))
        look.busy.push_back(d.bdf + ": storage function without a driver yet");
  for (fs::directory_iterator it(root.root / "sys/class/nvme", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    auto state = read_text_file(it->path() / "state");
    if (!state) continue;  // going away
    auto ns = namespaces(it->path());
    if (*state != "live") look.busy.push_back(name + ": state " + *state);
    else if (ns.empty()) look.busy.push_back(name + ": no namespace yet");
    // A namespace whose disk is not under /sys/block yet: /sys/block below will not see it.
    // (A path, nvmeXcYnZ, is a hidden disk: never announced.)
    for (const auto& n : ns)
      if (n.find('c') == std::string::npos && !fs::exists(root.root / "sys/block" / n, ec) &&
          known(disks, n) == Known::unannounced)
        look.busy.push_back(n + ": partition scan to come");
  }
  for (fs::directory_iterator it(root.root / "sys/block", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code lec;
    const std::string target = fs::read_symlink(it->path(), lec).string();
    if (lec || target.find("/pci") == std::string::npos) continue;  // loop, ram, zram: no probe behind them
    if (read_text_file(it->path() / "hidden") == "1") continue;     // a multipath's path: no scan, no uevent
    const std::string name = it->path().filename().string();
    auto inflight = read_text_file(it->path() / "inflight");
    auto stat = read_text_file(it->path() / "stat");
    if (!inflight || !stat) continue;
    auto size = read_text_file(it->path() / "size");
    look.disks.push_back(name);
    look.activity += name + " " + *stat + "\n";
    if (inflight->find_first_of("123456789") != std::string::npos) {
      look.busy.push_back(name + ": I/O in flight");
      continue;
    }
    switch (known(disks, name)) {
      case Known::announced: break;
      case Known::unannounced:  // an empty disk is announced too, at once
        look.busy.push_back(name + ": partition scan to come");
        break;
      case Known::before_watch:
        if (never_read(*stat, size)) look.busy.push_back(name + ": partition scan to come");
        else look.unvouched.push_back(name);
        break;
    }
  }
  return look;
}

SettleResult settle_storage(const SysfsRoot& root, std::chrono::milliseconds limit, DiskAnnouncements* disks,
                            std::chrono::milliseconds quiet, std::chrono::milliseconds look_every) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  SettleResult r;
  StorageLook prev = look_at_storage(root, disks);
  r.looks = 1;
  // The calm run so far: since when nothing has been busy and no PCI disk's counters moved.
  std::optional<Clock::time_point> calm_since;
  if (prev.busy.empty()) calm_since = start;
  for (;;) {
    auto now = Clock::now();
    if (disks && prev.busy.empty() && prev.unvouched.empty()) {
      r.settled = true, r.by = "announcements";
      break;
    }
    if (calm_since && now - *calm_since >= quiet && r.looks > 1) {
      r.settled = true, r.by = "calm";
      break;
    }
    if (now - start >= limit) break;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Clock::duration>(look_every, limit - (now - start)));
    if (disks) disks->wait_for_news(wait);  // a disk's announcement ends the wait at once
    else std::this_thread::sleep_for(wait);
    StorageLook next = look_at_storage(root, disks);
    now = Clock::now();
    r.looks++;
    if (!next.busy.empty()) calm_since.reset();
    else if (!calm_since || next.activity != prev.activity) calm_since = now;
    prev = std::move(next);
  }
  r.waited_ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  if (r.settled && disks) disks->vouch(prev.disks);
  if (!r.settled) r.busy = prev.busy.empty() ? std::vector<std::string>{"disk I/O still going"} : prev.busy;
  return r;
}

}  // namespace pcirig::agent
