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

// sriov_del_vfs() removes the VFs with only the PF's device_lock held, no
// pci_rescan_remove_lock (05703271c3cd added it, 2fa119c0e5e5 reverted
// it), while pciehp or a sysfs remove of the slot removes the same VF
// under that lock: both unlink it, the second list_del() meets the poison
// ("double remove and list corruption", 05703271c3cd's message), or a
// rescan walking the bus under that lock follows the VF's poisoned entry. A
// kernel would often first touch the VF's freed pci_dev. In mainline only
// SR-IOV adds or unlinks a bus's devices without pci_rescan_remove_lock, so
// a corrupted list met by a walker that holds it (removal, rescan, pciehp),
// or by SR-IOV's own VF removal, is this race; the bus and slot lock walks,
// which hold no lock, are finding bus-walk-vs-hotplug.
bool sriov_disable_vs_hotplug(const Report& r) {
  if (r.kind != ReportKind::list_corruption || in_bus_or_slot_walk(r.body)) return false;
  for (const char* fn : {"pci_remove_bus_device", "pci_stop_bus_device", "pci_bus_add_devices",
                         "pciehp_unconfigure_device", "pci_iov_remove_virtfn", "pci_iov_add_virtfn"})
    if (has_frame(r.body, fn)) return true;
  return false;
}

// Not mainline's: the era every access.c variant builds on (v5.9) blocks
// config access in pci_dev_lock() before taking device_lock, while
// sriov_numvfs_store() holds device_lock and then blocks config access in
// sriov_enable()/sriov_disable(): AB-BA, fixed by a91ee0e9fca9 (v5.19),
// which made pci_dev_lock() take device_lock first. Counted apart so that a
// search on those eras times the era's own bug.
// The same order holds when the PF's removal disables SR-IOV under
// device_lock. The hang report lists every blocked task: SR-IOV's enable or
// disable waits in pci_wait_cfg while a task sits in pci_dev_lock. In
// mainline pci_dev_lock takes device_lock first, so it never holds
// block_cfg_access while it waits.
bool sriov_vs_pci_dev_lock(const Report& r) {
  return (r.kind == ReportKind::hung_task || r.kind == ReportKind::deadlock) && has_frame(r.body, "pci_wait_cfg") &&
         (has_frame(r.body, "pci_enable_sriov") || has_frame(r.body, "pci_disable_sriov")) &&
         has_frame(r.body, "pci_dev_lock");
}

constexpr Finding kFindings[] = {
    {"bus-walk-vs-hotplug",
     "pci_bus_lock/pci_slot_lock (and trylock) walk bus->devices without pci_bus_sem while a device on the bus is removed or added",
     bus_walk_vs_hotplug},
    {"pciehp-rescan-remove-cycle",
     "pciehp_ist: reset_lock (read) -> pci_rescan_remove_lock -> reset_lock (read, lockdep); remove: that -> "
     "device_lock; reset: device_lock -> reset_lock (write)",
     pciehp_rescan_remove_cycle},
    {"sriov-disable-vs-hotplug",
     "sriov_del_vfs removes the VFs without pci_rescan_remove_lock while pciehp or sysfs remove removes them too: "
     "double list_del",
     sriov_disable_vs_hotplug},
    {"sriov-vs-pci-dev-lock",
     "v5.9 and the eras on it, before a91ee0e9fca9: pci_dev_lock blocks config access, then device_lock; "
     "sriov_numvfs_store the reverse",
     sriov_vs_pci_dev_lock},
};

}  // namespace

std::span<const Finding> known_findings() { return kFindings; }

const Finding* known_finding(const Report& r) {
  for (const Finding& f : kFindings)
    if (f.matches(r)) return &f;
  return nullptr;
}

}  // namespace pcirig::model
