// cdcb33f98244 (2017), v4.10 .. v5.8, 4.19 < 4.19.140, 5.4 < 5.4.59:
// pci_cfg_access_unlock() drops pci_lock BEFORE wake_up_all() (as v5.9 does),
// but the waiter still open-codes its wait with __add_wait_queue() under
// pci_lock only. The wake walk (queue lock only) then races with waiters
// adding and removing their on-stack entries: the 2019 vfio hot-plug panic.
// vfio's reset ioctl does not take memory_lock yet (abafbc551fdd, v5.8).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v4_10 {
using namespace pcirig::model;

static Co<void> pci_wait_cfg(pci_dev* dev)
{
	DECLARE_WAITQUEUE(wait, current);

	co_await __add_wait_queue(&pci_cfg_wait, &wait);
	for (bool blocked = true; blocked;) {  /* do { ... } while (dev->block_cfg_access) */
		co_await set_current_state(TASK_UNINTERRUPTIBLE);
		co_await raw_spin_unlock_irq(&pci_lock);
		co_await schedule();
		co_await raw_spin_lock_irq(&pci_lock);
		blocked = co_await READ(dev->block_cfg_access);
	}
	co_await __remove_wait_queue(&pci_cfg_wait, &wait);
}

static Co<int> vfio_pci_ioctl_reset(vfio_pci_core_device* vdev)
{
	if (!vdev->reset_works)
		co_return -EINVAL;
	co_return co_await pci_try_reset_function(vdev->pdev);
}

PCIRIG_REGISTER_VARIANT(v4_10, Variant{
	"v4.10", "v5.9", "cdcb33f98244", "v4.10 .. v5.8, 4.19 < 4.19.140, 5.4 < 5.4.59",
	"use-after-return|list-corruption",
	"wake_up_all after dropping pci_lock: the wake walk races with on-stack entries",
	{.pci_wait_cfg = pci_wait_cfg, .vfio_pci_ioctl_reset = vfio_pci_ioctl_reset}});

}  // namespace pcirig::variants::v4_10
