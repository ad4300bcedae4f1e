// Scenario bytes <-> tasks and calls; the text form used on command lines.
#include "pcirig/model/scenario.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "pcirig/model/engine.h"

namespace pcirig::model {

namespace {

constexpr const char* kNames[] = {"config_read", "config_write", "reset",        "try_reset",  "perf_read",
                                  "msi_mask",    "cfg_unlock",   "vfio_close",   "vfio_set_irqs", "unbind",
                                  "remove",      "rescan",       "pciehp_event", "aer_reset",     "hot_reset",
                                  "sriov_numvfs"};
constexpr const char* kEntries[] = {"pci_read_config",       "pci_write_config",        "reset_store",
                                    "vfio_pci_ioctl_reset",  "perf_event_task_sched_out", "pci_msi_mask_irq",
                                    "unbalanced_cfg_unlock", "vfio_device_fops_release", "vfio_pci_ioctl_set_irqs",
                                    "unbind_store",          "remove_store",            "rescan_store",
                                    "irq_thread_fn",         "aer_root_reset",          "vfio_pci_ioctl_pci_hot_reset",
                                    "sriov_numvfs_store"};
constexpr int kNCalls = sizeof kNames / sizeof kNames[0];
constexpr const char* kDevNames[MAX_DEVS] = {"dev0", "dev1", "rp0", "ep1", "rp1", "br", "ep2", "vf1"};

// The calls a topology input decodes to (by b % 16), and each one's possible
// targets. Entry 14 repeats 1, as (b % 16) % 13 did before hot_reset took
// entry 13, so saved inputs keep their meaning but for it; entry 15 (a
// repeated reset until then) is sriov_numvfs.
constexpr Call kTopoCalls[] = {Call::config_read, Call::config_write, Call::reset,        Call::try_reset,
                               Call::perf_read,   Call::msi_mask,     Call::vfio_close,   Call::vfio_set_irqs,
                               Call::unbind,      Call::remove,       Call::rescan,       Call::pciehp_event,
                               Call::aer_reset,   Call::hot_reset,    Call::config_write, Call::sriov_numvfs};
constexpr int kNTopoCalls = sizeof kTopoCalls / sizeof kTopoCalls[0];

std::vector<std::uint8_t> targets(Call c) {
  enum { DEV0, DEV1, RP0, EP1, RP1, BR, EP2, VF1 };
  switch (c) {
    case Call::try_reset:
    case Call::hot_reset:
    case Call::vfio_close:
    case Call::vfio_set_irqs: return {EP1, EP2};
    case Call::unbind:
    case Call::remove: return {EP1, EP2, BR};
    case Call::rescan: return {DEV0};
    case Call::pciehp_event: return {RP0};
    case Call::sriov_numvfs: return {EP1};
    case Call::aer_reset: return {RP0, RP1, BR};
    default: return {EP1, EP2, DEV0};
  }
}

}  // namespace

const char* call_name(Call c) { return kNames[static_cast<int>(c)]; }
const char* call_entry(Call c) { return kEntries[static_cast<int>(c)]; }

// Layout: [b0] then per task [ncalls] [call]..., then the schedule.
// b0: ntasks = 2 + b0 % 4; bit 7 clear: ndevs = 1 + (b0 / 4) % 2 and a call
// byte is kind = (b % 8) % 6, dev = (b / 8) % ndevs, arg = (b / 16) % ntasks.
// Bit 7 set (topology): kind = kTopoCalls[b % 16], target =
// targets(kind)[(b / 16) % n], arg = (b / 64) % ntasks. ncalls = 1 + b % 3.
Scenario decode_scenario(std::span<const std::uint8_t> in, std::size_t& used) {
  std::size_t pos = 0;
  auto next = [&]() -> std::uint8_t { return pos < in.size() ? in[pos++] : (pos++, 0); };
  Scenario s;
  std::uint8_t b0 = next();
  int ntasks = 2 + b0 % 4;
  s.topo = b0 & 0x80;
  s.ndevs = s.topo ? MAX_DEVS : 1 + (b0 / 4) % 2;
  s.tasks.resize(ntasks);
  for (int t = 0; t < ntasks; ++t) {
    int ncalls = 1 + next() % MAX_CALLS_PER_TASK;
    for (int k = 0; k < ncalls; ++k) {
      std::uint8_t b = next();
      CallSpec c;
      if (s.topo) {
        c.call = kTopoCalls[(b % 16) % kNTopoCalls];
        auto tg = targets(c.call);
        c.dev = tg[(b / 16) % tg.size()];
        c.arg = static_cast<std::uint8_t>((b / 64) % ntasks);
      } else {
        c.call = static_cast<Call>((b % 8) % N_FUZZ_CALLS);
        c.dev = static_cast<std::uint8_t>((b / 8) % s.ndevs);
        c.arg = static_cast<std::uint8_t>((b / 16) % ntasks);
      }
      s.tasks[t].push_back(c);
    }
  }
  used = pos;
  return s;
}

std::vector<std::uint8_t> encode_scenario(const Scenario& s) {
  int ntasks = static_cast<int>(s.tasks.size());
  if (ntasks < 2 || ntasks > 5) throw std::invalid_argument("fuzz inputs encode 2..5 tasks");
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>(s.topo ? 0x80 | (ntasks - 2) : (ntasks - 2) + 4 * (s.ndevs - 1)));
  for (auto& calls : s.tasks) {
    if (calls.empty() || calls.size() > MAX_CALLS_PER_TASK)
      throw std::invalid_argument("fuzz inputs encode 1..3 calls per task");
    out.push_back(static_cast<std::uint8_t>(calls.size() - 1));
    for (auto& c : calls) {
      if (!s.topo) {
        if (static_cast<int>(c.call) >= N_FUZZ_CALLS)
          throw std::invalid_argument(std::string("call ") + call_name(c.call) + " cannot be encoded in a fuzz input");
        out.push_back(static_cast<std::uint8_t>(static_cast<int>(c.call) + 8 * c.dev + 16 * c.arg));
        continue;
      }
      auto k = std::find(std::begin(kTopoCalls), std::end(kTopoCalls), c.call) - std::begin(kTopoCalls);
      if (k == kNTopoCalls)
        throw std::invalid_argument(std::string("call ") + call_name(c.call) + " cannot be encoded in a fuzz input");
      auto tg = targets(c.call);
      auto ti = std::find(tg.begin(), tg.end(), c.dev) - tg.begin();
      if (ti == static_cast<long>(tg.size()))
        throw std::invalid_argument(std::string(kDevNames[c.dev]) + " cannot be the target of " + call_name(c.call));
      int x = 0;
      while (x < 16 && (x % static_cast<int>(tg.size()) != ti || (x / 4) % ntasks != c.arg % ntasks)) ++x;
      if (x == 16) throw std::invalid_argument("cannot encode this perf_read task index");
      out.push_back(static_cast<std::uint8_t>(k + 16 * x));
    }
  }
  return out;
}

Scenario parse_scenario(const std::string& text, int ndevs) {
  Scenario s;
  int maxdev = 0;
  std::stringstream tasks(text);
  std::string task;
  while (std::getline(tasks, task, ';')) {
    std::vector<CallSpec> calls;
    std::stringstream cs(task);
    std::string tok;
    while (std::getline(cs, tok, ',')) {
      if (tok.empty()) continue;
      std::string name = tok.substr(0, tok.find(':'));
      CallSpec c{Call::config_read};
      bool found = false;
      for (int i = 0; i < kNCalls; ++i)
        if (name == kNames[i]) {
          c.call = static_cast<Call>(i);
          found = true;
        }
      if (!found) throw std::invalid_argument("unknown call '" + name + "' in scenario token '" + tok + "'");
      auto p1 = tok.find(':');
      try {
        if (p1 != std::string::npos) {
          auto p2 = tok.find(':', p1 + 1);
          std::string d = tok.substr(p1 + 1, p2 == std::string::npos ? std::string::npos : p2 - p1 - 1);
          auto named = std::find(std::begin(kDevNames), std::end(kDevNames), d);
          c.dev = named != std::end(kDevNames) ? static_cast<std::uint8_t>(named - std::begin(kDevNames))
                                               : static_cast<std::uint8_t>(std::stoi(d));
          if (p2 != std::string::npos) c.arg = static_cast<std::uint8_t>(std::stoi(tok.substr(p2 + 1)));
        } else if (static_cast<int>(c.call) > static_cast<int>(Call::cfg_unlock)) {
          c.dev = targets(c.call)[0];
        }
      } catch (const std::logic_error&) {
        throw std::invalid_argument("bad number in scenario token '" + tok + "'");
      }
      if (c.dev >= MAX_DEVS) throw std::invalid_argument("device out of range in '" + tok + "'");
      if (static_cast<int>(c.call) > static_cast<int>(Call::cfg_unlock) || c.dev >= 2) s.topo = true;
      maxdev = std::max<int>(maxdev, c.dev);
      calls.push_back(c);
    }
    s.tasks.push_back(std::move(calls));
  }
  if (s.tasks.empty() || s.tasks.size() > MAX_TASKS)
    throw std::invalid_argument("a scenario needs 1.." + std::to_string(MAX_TASKS) + " tasks");
  for (auto& calls : s.tasks)
    for (auto& c : calls) {
      if (c.arg >= s.tasks.size()) throw std::invalid_argument("perf_read names a task that does not exist");
      if (s.topo && c.call != Call::cfg_unlock) {
        auto tg = targets(c.call);
        if (std::find(tg.begin(), tg.end(), c.dev) == tg.end())
          throw std::invalid_argument(std::string(kDevNames[c.dev]) + " cannot be the target of " + call_name(c.call));
      }
    }
  s.ndevs = s.topo ? MAX_DEVS : (ndevs > 0 ? ndevs : maxdev + 1);
  return s;
}

std::string scenario_string(const Scenario& s) {
  std::string out;
  for (std::size_t t = 0; t < s.tasks.size(); ++t) {
    if (t) out += ';';
    for (std::size_t k = 0; k < s.tasks[t].size(); ++k) {
      const CallSpec& c = s.tasks[t][k];
      if (k) out += ',';
      out += std::string(call_name(c.call)) + ":" + (s.topo ? kDevNames[c.dev] : std::to_string(c.dev));
      if (c.call == Call::perf_read) out += ":" + std::to_string(c.arg);
    }
  }
  return out;
}

}  // namespace pcirig::model
