// Xiang Zheng's v1 proposal (2019-10-28, never merged): the waiter uses the
// locked add_wait_queue()/remove_wait_queue(), still called under pci_lock;
// the waker is as in cdcb33f98244. That closes the list race but adds
// pci_lock -> queue lock, completing a three-lock cycle with the waker's
// queue lock -> pi_lock and the perf reader's pi_lock -> pci_lock.
#include "pcirig/model/kernel.h"

namespace pcirig::variants::xiang_v1 {
using namespace pcirig::model;

static Co<void> pci_wait_cfg(pci_dev* dev)
{
	DECLARE_WAITQUEUE(wait, current);

	co_await add_wait_queue(&pci_cfg_wait, &wait);
	for (bool blocked = true; blocked;) {  /* do { ... } while (dev->block_cfg_access) */
		co_await set_current_state(TASK_UNINTERRUPTIBLE);
		co_await raw_spin_unlock_irq(&pci_lock);
		co_await schedule();
		co_await raw_spin_lock_irq(&pci_lock);
		blocked = co_await READ(dev->block_cfg_access);
	}
	co_await remove_wait_queue(&pci_cfg_wait, &wait);
}

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

PCIRIG_REGISTER_VARIANT(xiang_v1, Variant{
	"xiang-v1", "proposal 2019-10-28", "never merged",
	"lock-inversion|deadlock",
	"locked add/remove_wait_queue under pci_lock: pci_lock -> wq lock -> pi_lock -> pci_lock",
	{pci_user_read_config_dword, pci_user_write_config_dword, pci_cfg_access_lock,
	 pci_cfg_access_trylock, pci_cfg_access_unlock, pci_bus_read_config_dword}});

}  // namespace pcirig::variants::xiang_v1
