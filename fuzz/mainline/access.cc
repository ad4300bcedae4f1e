// drivers/pci/access.c as of 2a7e32d0547f (v5.9) and today: the waiter sleeps
// in wait_event(pci_cfg_wait, ...) with pci_lock dropped; the waker wakes
// after dropping pci_lock.
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

static Co<int> pci_user_read_config_dword(pci_dev* dev, int pos, u32* val)
{
	int ret = 0;
	u32 data = -1;

	co_await raw_spin_lock_irq(&pci_lock);
	if (bool blocked = co_await READ(dev->block_cfg_access))
		co_await pci_wait_cfg(dev);
	ret = co_await pci_ops_read(dev, pos, &data);
	co_await raw_spin_unlock_irq(&pci_lock);
	*val = data;
	co_return ret;
}

static Co<int> pci_user_write_config_dword(pci_dev* dev, int pos, u32 val)
{
	int ret = 0;

	co_await raw_spin_lock_irq(&pci_lock);
	if (bool blocked = co_await READ(dev->block_cfg_access))
		co_await pci_wait_cfg(dev);
	ret = co_await pci_ops_write(dev, pos, val);
	co_await raw_spin_unlock_irq(&pci_lock);
	co_return ret;
}

static Co<void> pci_cfg_access_lock(pci_dev* dev)
{
	might_sleep();

	co_await raw_spin_lock_irq(&pci_lock);
	if (bool blocked = co_await READ(dev->block_cfg_access))
		co_await pci_wait_cfg(dev);
	co_await WRITE(dev->block_cfg_access, 1);
	co_await raw_spin_unlock_irq(&pci_lock);
}

static Co<bool> pci_cfg_access_trylock(pci_dev* dev)
{
	unsigned long flags;
	bool locked = true;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	if (bool blocked = co_await READ(dev->block_cfg_access))
		locked = false;
	else
		co_await WRITE(dev->block_cfg_access, 1);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
	co_return locked;
}

static Co<void> pci_cfg_access_unlock(pci_dev* dev)
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);

	/* An unbalanced unlock is the caller's bug: warn, don't oops. */
	WARN_ON(!co_await READ(dev->block_cfg_access));

	co_await WRITE(dev->block_cfg_access, 0);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);

	co_await wake_up_all(&pci_cfg_wait);
}

static Co<void> pci_wait_cfg(pci_dev* dev)
{
	for (bool blocked = true; blocked;) {  /* do { ... } while (dev->block_cfg_access) */
		co_await raw_spin_unlock_irq(&pci_lock);
		co_await wait_event(pci_cfg_wait, !co_await READ_DATA_RACE(dev->block_cfg_access));
		co_await raw_spin_lock_irq(&pci_lock);
		blocked = co_await READ(dev->block_cfg_access);
	}
}

/* PCI_OP_READ: the kernel accessor does not look at block_cfg_access */
static Co<int> pci_bus_read_config_dword(pci_dev* dev, int pos, u32* value)
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

void access_c(kernel_ops& k)
{
	k.pci_wait_cfg = pci_wait_cfg;
	k.pci_user_read_config_dword = pci_user_read_config_dword;
	k.pci_user_write_config_dword = pci_user_write_config_dword;
	k.pci_cfg_access_lock = pci_cfg_access_lock;
	k.pci_cfg_access_trylock = pci_cfg_access_trylock;
	k.pci_cfg_access_unlock = pci_cfg_access_unlock;
	k.pci_bus_read_config_dword = pci_bus_read_config_dword;
}

}  // namespace pcirig::mainline
