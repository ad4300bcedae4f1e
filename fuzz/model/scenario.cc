// Scenario bytes <-> tasks and calls; the text form used on command lines.
#include "pcirig/model/scenario.h"

#include <sstream>
#include <stdexcept>

#include "pcirig/model/engine.h"

namespace pcirig::model {

static constexpr const char* kNames[] = {"config_read", "config_write", "reset", "try_reset",
                                         "perf_read",   "msi_mask",     "cfg_unlock"};
static constexpr const char* kEntries[] = {"pci_read_config",           "pci_write_config", "reset_store",
                                           "vfio_pci_ioctl_reset",      "perf_event_task_sched_out",
                                           "pci_msi_mask_irq",          "unbalanced_cfg_unlock"};

const char* call_name(Call c) { return kNames[static_cast<int>(c)]; }
const char* call_entry(Call c) { return kEntries[static_cast<int>(c)]; }

// Layout: [ntasks/ndevs] then per task [ncalls] [call]..., then the schedule.
// b0: ntasks = 2 + b0 % 4, ndevs = 1 + (b0 / 4) % 2; ncalls = 1 + b % 3;
// call byte: kind = b % 8 (>= 6 folds onto the first kinds), dev = (b / 8) % ndevs,
// arg = (b / 16) % ntasks.
Scenario decode_scenario(std::span<const std::uint8_t> in, std::size_t& used) {
  std::size_t pos = 0;
  auto next = [&]() -> std::uint8_t { return pos < in.size() ? in[pos++] : (pos++, 0); };
  Scenario s;
  std::uint8_t b0 = next();
  int ntasks = 2 + b0 % 4;
  s.ndevs = 1 + (b0 / 4) % 2;
  s.tasks.resize(ntasks);
  for (int t = 0; t < ntasks; ++t) {
    int ncalls = 1 + next() % MAX_CALLS_PER_TASK;
    for (int k = 0; k < ncalls; ++k) {
      std::uint8_t b = next();
      CallSpec c;
      c.call = static_cast<Call>((b % 8) % N_FUZZ_CALLS);
      c.dev = static_cast<std::uint8_t>((b / 8) % s.ndevs);
      c.arg = static_cast<std::uint8_t>((b / 16) % ntasks);
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
  out.push_back(static_cast<std::uint8_t>((ntasks - 2) + 4 * (s.ndevs - 1)));
  for (auto& calls : s.tasks) {
    if (calls.empty() || calls.size() > MAX_CALLS_PER_TASK)
      throw std::invalid_argument("fuzz inputs encode 1..3 calls per task");
    out.push_back(static_cast<std::uint8_t>(calls.size() - 1));
    for (auto& c : calls) {
      if (static_cast<int>(c.call) >= N_FUZZ_CALLS)
        throw std::invalid_argument(std::string("call ") + call_name(c.call) + " cannot be encoded in a fuzz input");
      out.push_back(static_cast<std::uint8_t>(static_cast<int>(c.call) + 8 * c.dev + 16 * c.arg));
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
      for (int i = 0; i < 7; ++i)
        if (name == kNames[i]) {
          c.call = static_cast<Call>(i);
          found = true;
        }
      if (!found) throw std::invalid_argument("unknown call '" + name + "' in scenario token '" + tok + "'");
      auto p1 = tok.find(':');
      try {
        if (p1 != std::string::npos) {
          auto p2 = tok.find(':', p1 + 1);
          c.dev = static_cast<std::uint8_t>(std::stoi(tok.substr(p1 + 1, p2 - p1 - 1)));
          if (p2 != std::string::npos) c.arg = static_cast<std::uint8_t>(std::stoi(tok.substr(p2 + 1)));
        }
      } catch (const std::logic_error&) {
        throw std::invalid_argument("bad number in scenario token '" + tok + "'");
      }
      if (c.dev >= MAX_DEVS) throw std::invalid_argument("device out of range in '" + tok + "'");
      maxdev = std::max<int>(maxdev, c.dev);
      calls.push_back(c);
    }
    s.tasks.push_back(std::move(calls));
  }
  if (s.tasks.empty() || s.tasks.size() > MAX_TASKS)
    throw std::invalid_argument("a scenario needs 1.." + std::to_string(MAX_TASKS) + " tasks");
  for (auto& calls : s.tasks)
    for (auto& c : calls)
      if (c.arg >= s.tasks.size()) throw std::invalid_argument("perf_read names a task that does not exist");
  s.ndevs = ndevs > 0 ? ndevs : maxdev + 1;
  return s;
}

std::string scenario_string(const Scenario& s) {
  std::string out;
  for (std::size_t t = 0; t < s.tasks.size(); ++t) {
    if (t) out += ';';
    for (std::size_t k = 0; k < s.tasks[t].size(); ++k) {
      const CallSpec& c = s.tasks[t][k];
      if (k) out += ',';
      out += std::string(call_name(c.call)) + ":" + std::to_string(c.dev);
      if (c.call == Call::perf_read) out += ":" + std::to_string(c.arg);
    }
  }
  return out;
}

}  // namespace pcirig::model
