// The PCI side: struct pci_dev with block_cfg_access as a bit in a word it
// shares with other bitfields, pci_lock, pci_cfg_wait, device_lock, and the
// config space itself (dev->bus->ops->read/write); the topology (buses,
// bridges, a pciehp hot-plug port and its slot), the global PCI locks and
// the vfio-pci device state.
//
// Every run has the same topology:
//
//   bus 00 (root) : dev0, dev1 (endpoints), rp0 (root port, pciehp slot 1), rp1 (root port)
//   bus 01 (rp0)  : ep1 (endpoint in slot 1, no FLR: reset through the slot;
//                   an SR-IOV PF), vf1 (ep1's VF, on the bus while SR-IOV is enabled)
//   bus 02 (rp1)  : br  (PCIe-to-PCI bridge)
//   bus 03 (br)   : ep2 (endpoint with FLR)
//
// dev0, dev1, ep1 and ep2 are bound to vfio-pci; a user holds each one's fd open.
#pragma once

#include <cerrno>  // EAGAIN
#include <cstdint>

#include "pcirig/model/co.h"
#include "pcirig/model/engine.h"
#include "pcirig/model/list.h"
#include "pcirig/model/locks.h"
#include "pcirig/model/sched.h"
#include "pcirig/model/wait.h"

namespace pcirig::model {

using u32 = std::uint32_t;

inline constexpr int PCIBIOS_SUCCESSFUL = 0;
inline constexpr int PCI_VENDOR_ID = 0x00;
inline constexpr int PCI_COMMAND = 0x04;

// One bit of a word shared by several C bitfields. A store is a plain
// read-modify-write of the whole word, as the compiler emits it.
struct bitfield {
  unsigned long* word;
  unsigned long mask;
  const char* name;
  const task_struct* last_setter = nullptr;  // model: who set it (protocol oracle)
  const task_struct* last_clearer = nullptr;  // model: who cleared it last, and where (WARN reports)
  Frames cleared_in{};
};

struct device {
  struct mutex mutex;  // device_lock(); lockdep_set_novalidate_class() in the kernel
};

struct pci_dev;
struct pci_slot;
struct controller;
struct vfio_pci_core_device;

struct pci_bus {
  const char* name = "";
  pci_dev* self = nullptr;  // the bridge above (nullptr: root bus)
  list_head devices{};      // of pci_dev.bus_list, changed under pci_bus_sem (write)
  pci_slot* slot = nullptr;  // bus->slots: at most one here
};

struct hotplug_slot {
  controller* ctrl = nullptr;  // to_ctrl(hotplug_slot)
};

struct pci_slot {
  pci_bus* bus = nullptr;
  hotplug_slot* hotplug = nullptr;
};

// drivers/pci/hotplug/pciehp.h: struct controller
struct controller {
  pci_dev* port = nullptr;      // ctrl->pcie->port
  rw_semaphore reset_lock;      // 5b3f7b7d062b
  int depth = 0;                // lockdep subclass: hot-plug ports above (085a9f43433f)
  bool on = true;               // ctrl->state == ON_STATE: the slot's devices are there
  hotplug_slot hotplug;
  struct mutex irq_thread;      // model: one IRQ thread handles one event at a time (novalidate)
};

// drivers/vfio/pci: struct vfio_pci_core_device, and the vfio_device's
// open count and release wait (vfio_unregister_group_dev waits for it).
struct vfio_pci_core_device {
  pci_dev* pdev = nullptr;
  struct mutex dev_set_lock;    // vdev->vdev.dev_set->lock: the device alone in its set here
  rw_semaphore memory_lock;
  struct mutex igate;
  int open_count = 0;           // the user's fds
  wait_queue_head release_q;    // the unregistering task waits here
  bool reset_works = true;
  // model: the user process holding the fd closes it when asked; the
  // release waits for the ioctls in flight (each holds a file reference).
  int ioctls_in_flight = 0;
  bool release_requested = false;
  bool closing = false;
};

// vfio_device_request(): asks the fd's user to release the device. The user
// closes at once; the release itself runs when no ioctl is in flight.
void vfio_device_request(vfio_pci_core_device* vdev);

struct pci_dev {
  int id = 0;
  char name[8] = {};
  unsigned long bitfield_word = 0;  // block_cfg_access:1 shares it with msi_enabled:1, ...
  bitfield block_cfg_access{&bitfield_word, 1ul << 0, "block_cfg_access"};
  bitfield msi_enabled{&bitfield_word, 1ul << 1, "msi_enabled"};
  struct device dev;
  rw_semaphore cfg_access_sem;  // only the rwsem proposal uses it
  lockdep_map cfg_access_lock;  // only 7e89efc6e9e4 (v6.10-rc1) uses it
  u32 config[16] = {};          // the first 64 bytes of config space

  // topology and state
  list_head bus_list{};            // on bus->devices; LIST_POISON after pci_destroy_dev()
  pci_bus* bus = nullptr;
  pci_bus* subordinate = nullptr;  // a bridge's secondary bus
  pci_slot* slot = nullptr;
  bool has_flr = true;             // pcie_flr() works: no need to reset the slot
  bool is_added = true;            // pci_dev_is_added(): in sysfs, reachable by drivers
  bool driver_bound = false;       // dev->driver != NULL
  vfio_pci_core_device* vfio = nullptr;  // bound to vfio-pci
  int num_VFs = 0;                 // dev->sriov->num_VFs (a PF: ep1)

  void init(int i);
  pci_dev() = default;
  pci_dev(const pci_dev&) = delete;
  pci_dev& operator=(const pci_dev&) = delete;
};

// ---- plain (unmarked) accesses to bitfields: scheduling points ----
struct BitLoad {
  bitfield* bf;
  Point p;
  bool marked;  // data_race(): not seen by the KCSAN oracle
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  unsigned int await_resume() const;
};
struct BitStore {
  bitfield* bf;
  unsigned int value;
  Point p;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { park(h, p); }
  void await_resume() const;
};
inline BitLoad bit_load(bitfield& bf, const char* name, bool marked, const char* fn, int line) {
  return {&bf, Point{PointKind::step, marked ? "data_race(READ)" : "READ", name, fn, line}, marked};
}
inline BitStore bit_store(bitfield& bf, unsigned int v, const char* name, const char* fn, int line) {
  return {&bf, v, Point{PointKind::step, "WRITE", name, fn, line}};
}
// `co_await READ(dev->block_cfg_access)` is the kernel's `dev->block_cfg_access`.
#define READ(x) ::pcirig::model::bit_load((x), #x, false, __builtin_FUNCTION(), __builtin_LINE())
#define WRITE(x, v) ::pcirig::model::bit_store((x), (v), #x, __builtin_FUNCTION(), __builtin_LINE())
// A read whose race is intended, like the kernel's data_race(): the
// condition of wait_event() is re-checked under pci_lock afterwards.
#define READ_DATA_RACE(x) ::pcirig::model::bit_load((x), #x, true, __builtin_FUNCTION(), __builtin_LINE())

extern raw_spinlock_t pci_lock;
extern wait_queue_head pci_cfg_wait;
extern rw_semaphore pci_bus_sem;
extern struct mutex pci_rescan_remove_lock;
extern struct mutex pci_slot_mutex;

// The topology of the run (see the top of this file).
pci_dev* pci_dev_by_name(const char* name) noexcept;
pci_bus* pci_root_bus() noexcept;
controller* pciehp_controller() noexcept;  // rp0's
// list_for_each_entry(dev, &bus->devices, bus_list) and its reverse, as the
// kernel walks a bus: each step follows the entry's own next (prev) pointer,
// checked as a dereference. A walker that slept on a device's lock while
// pci_destroy_dev() unlinked it follows LIST_POISON and oopses there, as the
// kernel does. Not scheduling points: the locks taken inside the loop are.
pci_dev* pci_bus_entry(list_head* pos, list_head* head);  // container_of, nullptr at head
#define list_for_each_entry(pos, head, member) \
  for (pos = ::pcirig::model::pci_bus_entry((head)->next, head); pos; \
       pos = ::pcirig::model::pci_bus_entry(pos->member.next, head))
#define list_for_each_entry_reverse(pos, head, member) \
  for (pos = ::pcirig::model::pci_bus_entry((head)->prev, head); pos; \
       pos = ::pcirig::model::pci_bus_entry(pos->member.prev, head))
// From pos back to the head, pos excluded: a trylock walk's unwinding.
#define list_for_each_entry_continue_reverse(pos, head, member) \
  for (pos = ::pcirig::model::pci_bus_entry(pos->member.prev, head); pos; \
       pos = ::pcirig::model::pci_bus_entry(pos->member.prev, head))
// The _safe forms read n before the body runs, so the body may unlink pos.
#define list_for_each_entry_safe(pos, n, head, member) \
  for (pos = ::pcirig::model::pci_bus_entry((head)->next, head), \
      n = pos ? ::pcirig::model::pci_bus_entry(pos->member.next, head) : nullptr; \
       pos; pos = n, n = pos ? ::pcirig::model::pci_bus_entry(pos->member.next, head) : nullptr)
#define list_for_each_entry_safe_reverse(pos, n, head, member) \
  for (pos = ::pcirig::model::pci_bus_entry((head)->prev, head), \
      n = pos ? ::pcirig::model::pci_bus_entry(pos->member.prev, head) : nullptr; \
       pos; pos = n, n = pos ? ::pcirig::model::pci_bus_entry(pos->member.prev, head) : nullptr)

// pci_upstream_bridge(): bus->self, nullptr on the root bus.
inline pci_dev* pci_upstream_bridge(pci_dev* dev) { return dev->bus ? dev->bus->self : nullptr; }

// BUG_ON(cond): "kernel BUG in FUNC".
bool bug_on(bool cond, const char* cond_text, const char* fn, int line);
#define BUG_ON(cond) ::pcirig::model::bug_on(static_cast<bool>(cond), #cond, __builtin_FUNCTION(), __builtin_LINE())

inline LockAcquire pci_lock_rescan_remove(PCIRIG_FN_LINE) { return mutex_lock(&pci_rescan_remove_lock, fn, line); }
inline LockRelease pci_unlock_rescan_remove(PCIRIG_FN_LINE) { return mutex_unlock(&pci_rescan_remove_lock, fn, line); }

inline LockAcquire device_lock(struct device* d, PCIRIG_FN_LINE) { return mutex_lock(&d->mutex, fn, line); }
inline LockTry device_trylock(struct device* d, PCIRIG_FN_LINE) { return mutex_trylock(&d->mutex, fn, line); }
inline LockRelease device_unlock(struct device* d, PCIRIG_FN_LINE) { return mutex_unlock(&d->mutex, fn, line); }

// dev->bus->ops->read/write: the hardware access. A step; runs the protocol
// oracle when the caller is a user accessor (sysfs config, vfio).
Co<int> pci_ops_read(pci_dev* dev, int where, u32* val);
Co<int> pci_ops_write(pci_dev* dev, int where, u32 val);

// pci_lock_config()/pci_unlock_config(): pci_lock unless
// CONFIG_PCI_LOCKLESS_CONFIG (x86 since ~v4.12; arm64 still locks).
Co<void> pci_lock_config(unsigned long& flags);
Co<void> pci_unlock_config(unsigned long& flags);

}  // namespace pcirig::model
