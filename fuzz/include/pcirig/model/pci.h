// The PCI side: struct pci_dev with block_cfg_access as a bit in a word it
// shares with other bitfields, pci_lock, pci_cfg_wait, device_lock, and the
// config space itself (dev->bus->ops->read/write).
#pragma once

#include <cerrno>  // EAGAIN
#include <cstdint>

#include "pcirig/model/co.h"
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
};

struct device {
  struct mutex mutex;  // device_lock(); lockdep_set_novalidate_class() in the kernel
};

struct pci_dev {
  int id = 0;
  char name[8] = {};
  unsigned long bitfield_word = 0;  // block_cfg_access:1 shares it with msi_enabled:1, ...
  bitfield block_cfg_access{&bitfield_word, 1ul << 0, "block_cfg_access"};
  bitfield msi_enabled{&bitfield_word, 1ul << 1, "msi_enabled"};
  struct device dev;
  rw_semaphore cfg_access_sem;  // only the rwsem proposal uses it
  u32 config[16] = {};          // the first 64 bytes of config space

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

// The kernel accessor shared by the spinlock variants (drivers/pci/access.c
// PCI_OP_READ): it does not look at block_cfg_access.
Co<int> pci_bus_read_config_dword(pci_dev* dev, int where, u32* val);

}  // namespace pcirig::model
