// Xiang Zheng's v1 proposal (2019-10-28, never merged), on v4.10: the waiter
// uses the locked add_wait_queue()/remove_wait_queue(), still called under
// pci_lock; the waker is v4.10's. That closes the list race but adds
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

PCIRIG_REGISTER_VARIANT(xiang_v1, Variant{
	"xiang-v1", "v4.10", "proposal 2019-10-28", "never merged",
	"lock-inversion|deadlock",
	"locked add/remove_wait_queue under pci_lock: pci_lock -> wq lock -> pi_lock -> pci_lock",
	{.pci_wait_cfg = pci_wait_cfg}});

}  // namespace pcirig::variants::xiang_v1
