// The PCI globals, bitfield accesses, the config space itself and the
// kernel accessor shared by the spinlock-based variants.
#include "pcirig/model/pci.h"

#include <cstdio>

#include "model/internal.h"

namespace pcirig::model {

raw_spinlock_t pci_lock;
wait_queue_head pci_cfg_wait;

namespace {
pci_dev g_devs[MAX_DEVS];
int g_ndevs = 1;
}  // namespace

pci_dev* pci_dev_by_id(int id) noexcept { return (id >= 0 && id < g_ndevs) ? &g_devs[id] : nullptr; }
int run_ndevs() noexcept { return g_ndevs; }

void pci_dev::init(int i) {
  id = i;
  std::snprintf(name, sizeof name, "dev%d", i);
  bitfield_word = 0;
  block_cfg_access.last_setter = nullptr;
  msi_enabled.last_setter = nullptr;
  static const char* mutex_names[MAX_DEVS] = {"dev0->dev.mutex", "dev1->dev.mutex"};
  static const char* sem_names[MAX_DEVS] = {"dev0->cfg_access_sem", "dev1->cfg_access_sem"};
  dev.mutex = mutex{};
  dev.mutex.init(mutex_names[i], nullptr, true);  // device_lock: novalidate class
  cfg_access_sem = rw_semaphore{};
  cfg_access_sem.init(sem_names[i], "&dev->cfg_access_sem", true);
  for (int k = 0; k < 16; ++k) config[k] = 0;
  config[0] = 0x10001af4u + static_cast<u32>(i);  // virtio vendor, a device id
}

void pci_reset_globals(int ndevs) {
  pci_lock = raw_spinlock_t{};
  pci_lock.init("pci_lock", "pci_lock", false);
  pci_cfg_wait.init("pci_cfg_wait", "pci_cfg_wait.lock");
  g_ndevs = ndevs < 1 ? 1 : (ndevs > MAX_DEVS ? MAX_DEVS : ndevs);
  for (int i = 0; i < g_ndevs; ++i) g_devs[i].init(i);
}

unsigned int BitLoad::await_resume() const {
  // data_race(): intentionally racy, KCSAN does not look at it.
  if (!marked) kcsan_access(bf->word, sizeof(*bf->word), false, false, p.fn);
  return (*bf->word & bf->mask) ? 1u : 0u;
}

void BitStore::await_resume() const {
  // A C bitfield store: load the word, change the bit, store the word.
  kcsan_access(bf->word, sizeof(*bf->word), false, false, p.fn);
  unsigned long w = *bf->word;
  w = value ? (w | bf->mask) : (w & ~bf->mask);
  kcsan_access(bf->word, sizeof(*bf->word), true, false, p.fn);
  *bf->word = w;
  bf->last_setter = value ? current : nullptr;
}

static void check_user_access(pci_dev* dev, const char* what) {
  if (!world().oracles.protocol || !current->m.user_access) return;
  if (!(dev->bitfield_word & dev->block_cfg_access.mask) || dev->block_cfg_access.last_setter == current) return;
  const task_struct* b = dev->block_cfg_access.last_setter;
  oops(ReportKind::protocol, "BUG: config access while blocked in " + title_func(current),
       std::string("pcirig: user config ") + what + " of " + dev->name + " by " + task_tag(current) +
           " ran while " + (b ? task_tag(b) : std::string("another task")) +
           " holds pci_cfg_access_lock (block_cfg_access = 1)");
}

Co<int> pci_ops_read(pci_dev* dev, int where, u32* val)
{
	co_await sched_point("bus->ops->read", dev->name);
	check_user_access(dev, "read");
	*val = dev->config[(where / 4) & 15];
	co_return PCIBIOS_SUCCESSFUL;
}

Co<int> pci_ops_write(pci_dev* dev, int where, u32 val)
{
	co_await sched_point("bus->ops->write", dev->name);
	check_user_access(dev, "write");
	if (where >= 4) dev->config[(where / 4) & 15] = val;  // the ID is read-only
	co_return PCIBIOS_SUCCESSFUL;
}

Co<void> pci_lock_config(unsigned long& flags)
{
	if (!world().lockless_config)
		co_await raw_spin_lock_irqsave(&pci_lock, flags);
}

Co<void> pci_unlock_config(unsigned long& flags)
{
	if (!world().lockless_config)
		co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
}

Co<int> pci_bus_read_config_dword(pci_dev* dev, int pos, u32* value)
{
	int res;
	unsigned long flags;
	u32 data = 0;

	co_await pci_lock_config(flags);
	res = co_await pci_ops_read(dev, pos, &data);
	*value = data;
	co_await pci_unlock_config(flags);
	co_return res;
}

}  // namespace pcirig::model
