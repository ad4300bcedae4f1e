#include "repro/shrink.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace pcirig {

std::vector<std::vector<size_t>> hotplug_cycles(const std::vector<ReplayOp>& ops) {
  std::vector<std::vector<size_t>> cycles;
  std::map<std::string, size_t> open;  // slot -> its open cycle
  for (size_t i = 0; i < ops.size(); i++) {
    auto it = open.find(ops[i].slot);
    if (ops[i].action == "plug" || it == open.end()) {
      cycles.push_back({i});
      if (ops[i].action == "plug") open[ops[i].slot] = cycles.size() - 1;
    } else {
      cycles[it->second].push_back(i);
      open.erase(it);
    }
  }
  return cycles;
}

Reproducer without_cycles(const Reproducer& r, size_t from, size_t to) {
  auto cycles = hotplug_cycles(r.replay);
  std::set<size_t> drop;
  for (size_t c = from; c < to && c < cycles.size(); c++) drop.insert(cycles[c].begin(), cycles[c].end());
  Reproducer out = r;
  out.replay.clear();
  for (size_t i = 0; i < r.replay.size(); i++)
    if (!drop.count(i)) out.replay.push_back(r.replay[i]);
  return out;
}

Reproducer without_slot(const Reproducer& r, const std::string& slot) {
  Reproducer out = r;
  auto& hp = out.topo.hotplug.slots;
  hp.erase(std::remove(hp.begin(), hp.end(), slot), hp.end());
  std::erase_if(out.replay, [&](const ReplayOp& op) { return op.slot == slot; });
  bool cold = std::any_of(out.topo.devices.begin(), out.topo.devices.end(), [&](const Device& d) { return d.bus == slot; });
  // A switch's downstream ports stay: the switch is one piece.
  if (!cold) std::erase_if(out.topo.root_ports, [&](const Port& p) { return p.id == slot; });
  if (hp.empty()) out.topo.hotplug.enabled = false;
  return out;
}

Reproducer shorter_run(const Reproducer& r, double seconds) {
  Reproducer out = r;
  std::erase_if(out.replay, [&](const ReplayOp& op) { return op.t > seconds; });
  return out;
}
}  // namespace pcirig
