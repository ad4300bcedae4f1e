// The known findings of mainline (findings.h). Each matcher reads the
// report as a kernel engineer would: which walk or which cycle, not only
// the title, so an era's own bug with a similar title is never hidden.
#include "pcirig/model/findings.h"

#include <string>
#include <vector>

namespace pcirig::model {
namespace {

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

bool is_ident(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// fn appears as a whole word: a frame of a call trace or an "at:" site.
bool has_frame(const std::string& body, const std::string& fn) {
  for (std::size_t at = body.find(fn); at != std::string::npos; at = body.find(fn, at + 1)) {
    std::size_t end = at + fn.size();
    if ((at == 0 || !is_ident(body[at - 1])) && (end == body.size() || !is_ident(body[end]))) return true;
  }
  return false;
}

bool in_bus_or_slot_walk(const std::string& body) {
  for (const char* fn : {"pci_bus_lock", "pci_bus_unlock", "pci_slot_lock", "pci_slot_unlock", "pci_bus_trylock",
                         "pci_slot_trylock"})
    if (has_frame(body, fn)) return true;
  return false;
}

// pci_bus_lock()/pci_slot_lock(), their trylocks and unlocks walk bus->devices with
// neither pci_bus_sem nor pci_rescan_remove_lock held, and sleep inside the
// walk (device_lock). Hot removal (pci_destroy_dev: list_del) or a rescan
// (list_add_tail) of a device on that bus in the meantime leaves the walker
// on a poisoned entry, unlocking a device it never locked, or returning with
// the lock of a device its unlock walk no longer finds.
bool bus_walk_vs_hotplug(const Report& r) {
  switch (r.kind) {
    case ReportKind::list_corruption:
    case ReportKind::warn:
    case ReportKind::bad_unlock:
      return in_bus_or_slot_walk(r.body);
    default:
      return false;
  }
}

// The classes of lockdep's "Chain exists of:" line, in order.
std::vector<std::string> lockdep_chain(const std::string& body) {
  std::vector<std::string> out;
  const std::string key = "Chain exists of:\n";
  std::size_t at = body.find(key);
  if (at == std::string::npos) return out;
  at += key.size();
  std::string line = body.substr(at, body.find('\n', at) - at);
  std::size_t b = line.find_first_not_of(' ');
  for (std::size_t e; b != std::string::npos && b < line.size(); b = e + 5) {
    e = line.find(" --> ", b);
    out.push_back(line.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
  }
  return out;
}

// pciehp_ist holds ctrl->reset_lock (read) across pci_lock_rescan_remove()
// (f5eff5591b8f drops it only around unbinding and binding); sysfs remove or
// rescan holds pci_rescan_remove_lock and waits for device_lock; a reset of
// a device in the slot holds device_lock and waits for down_write(reset_lock).
// Lockdep sees it in the IRQ thread alone, as a kernel's does: reset_lock
// -(SN)-> pci_rescan_remove_lock, then down_read_nested(reset_lock) again
// with pci_rescan_remove_lock held (-(EN)->). down_read() is a
// non-recursive reader, so that two-lock cycle is strong.
bool pciehp_rescan_remove_cycle(const Report& r) {
  if (r.kind == ReportKind::lock_inversion) {
    auto chain = lockdep_chain(r.body);
    bool reset = false, rescan = false;
    for (const std::string& c : chain) {
      if (c.rfind("&ctrl->reset_lock", 0) == 0)
        reset = true;
      else if (c == "pci_rescan_remove_lock")
        rescan = true;
      else
        return false;
    }
    return reset && rescan && has_frame(r.body, "pciehp_ist");
  }
  return r.kind == ReportKind::deadlock && has(r.body, "waits for pci_rescan_remove_lock in pciehp_") &&
         has(r.body, "waits for ctrl->reset_lock in pciehp_reset_slot");
}

constexpr Finding kFindings[] = {
    {"bus-walk-vs-hotplug",
     "pci_bus_lock/pci_slot_lock (and trylock) walk bus->devices without pci_bus_sem while a device on the bus is removed or added",
     bus_walk_vs_hotplug},
    {"pciehp-rescan-remove-cycle",
     "pciehp_ist: reset_lock (read) -> pci_rescan_remove_lock -> reset_lock (read, lockdep); remove: that -> "
     "device_lock; reset: device_lock -> reset_lock (write)",
     pciehp_rescan_remove_cycle},
};

}  // namespace

std::span<const Finding> known_findings() { return kFindings; }

const Finding* known_finding(const Report& r) {
  for (const Finding& f : kFindings)
    if (f.matches(r)) return &f;
  return nullptr;
}

}  // namespace pcirig::model
