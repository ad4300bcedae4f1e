#include "settle.hpp"

#include <optional>
#include <regex>
#include <system_error>
#include <thread>

namespace pcirig::agent {

namespace fs = std::filesystem;

namespace {

// A namespace below its controller: nvme0n1, or nvme0c0n1 under native multipath.
bool has_namespace(const fs::path& ctrl) {
  static const std::regex ns("nvme[0-9]+(c[0-9]+)?n[0-9]+");
  std::error_code ec;
  for (fs::directory_iterator it(ctrl, ec), end; !ec && it != end; it.increment(ec))
    if (std::regex_match(it->path().filename().string(), ns)) return true;
  return false;
}

// A disk with sectors and not one read completed: its partition scan (the kernel's
// first reads of every new disk) has not run yet. /sys/block/X/stat's first field is
// the reads completed.
bool never_read(const std::string& stat, const std::optional<std::string>& size) {
  if (!size || size->find_first_of("123456789") == std::string::npos) return false;  // no sectors: no scan
  std::size_t b = stat.find_first_not_of(" \t");
  if (b == std::string::npos) return false;
  std::size_t e = stat.find_first_not_of("0123456789", b);
  return stat.substr(b, e == std::string::npos ? std::string::npos : e - b) == "0";
}

}  // namespace

StorageLook look_at_storage(const SysfsRoot& root) {
  StorageLook look;
  std::error_code ec;
  for (fs::directory_iterator it(root.root / "sys/class/nvme", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    auto state = read_text_file(it->path() / "state");
    if (!state) continue;  // going away
    if (*state != "live") look.busy.push_back(name + ": state " + *state);
    else if (!has_namespace(it->path())) look.busy.push_back(name + ": no namespace yet");
  }
  for (fs::directory_iterator it(root.root / "sys/block", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code lec;
    const std::string target = fs::read_symlink(it->path(), lec).string();
    if (lec || target.find("/pci") == std::string::npos) continue;  // loop, ram, zram: no probe behind them
    const std::string name = it->path().filename().string();
    auto inflight = read_text_file(it->path() / "inflight");
    auto stat = read_text_file(it->path() / "stat");
    if (!inflight || !stat) continue;
    if (inflight->find_first_of("123456789") != std::string::npos) look.busy.push_back(name + ": I/O in flight");
    else if (never_read(*stat, read_text_file(it->path() / "size"))) look.busy.push_back(name + ": partition scan to come");
    look.activity += name + " " + *stat + "\n";
  }
  return look;
}

SettleResult settle_storage(const SysfsRoot& root, std::chrono::milliseconds limit, std::chrono::milliseconds quiet,
                            std::chrono::milliseconds look_every) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  SettleResult r;
  StorageLook prev = look_at_storage(root);
  r.looks = 1;
  // The calm run so far: since when nothing has been busy and no PCI disk's counters moved.
  std::optional<Clock::time_point> calm_since;
  if (prev.busy.empty()) calm_since = start;
  for (;;) {
    auto now = Clock::now();
    if (calm_since && now - *calm_since >= quiet && r.looks > 1) {
      r.settled = true;
      break;
    }
    if (now - start >= limit) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(look_every, limit - (now - start)));
    StorageLook next = look_at_storage(root);
    now = Clock::now();
    r.looks++;
    if (!next.busy.empty()) calm_since.reset();
    else if (!calm_since || next.activity != prev.activity) calm_since = now;
    prev = std::move(next);
  }
  r.waited_ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  if (!r.settled) r.busy = prev.busy.empty() ? std::vector<std::string>{"disk I/O still going"} : prev.busy;
  return r;
}

}  // namespace pcirig::agent
