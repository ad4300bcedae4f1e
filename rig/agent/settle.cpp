#include "settle.hpp"

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
    look.activity += name + " " + *stat + "\n";
  }
  return look;
}

SettleResult settle_storage(const SysfsRoot& root, std::chrono::milliseconds limit, std::chrono::milliseconds quiet) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  SettleResult r;
  StorageLook prev = look_at_storage(root);
  r.looks = 1;
  for (;;) {
    auto elapsed = Clock::now() - start;
    if (elapsed >= limit) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(quiet, limit - elapsed));
    StorageLook now = look_at_storage(root);
    r.looks++;
    bool calm = prev.busy.empty() && now.busy.empty() && now.activity == prev.activity;
    prev = std::move(now);
    if (calm) {
      r.settled = true;
      break;
    }
  }
  r.waited_ms = int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  if (!r.settled) r.busy = prev.busy.empty() ? std::vector<std::string>{"disk I/O still going"} : prev.busy;
  return r;
}

}  // namespace pcirig::agent
