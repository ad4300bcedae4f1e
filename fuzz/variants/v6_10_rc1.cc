// 7e89efc6e9e4 "PCI: Lock upstream bridge for pci_reset_function()"
// (v6.10-rc1 .. rc2): pci_cfg_access_lock() acquires a lockdep map
// (dev->cfg_access_lock, one key per device) and pci_cfg_access_unlock()
// releases it, but pci_cfg_access_trylock() never acquires it. vfio's
// pci_try_reset_function() -> pci_dev_trylock() ... pci_dev_unlock() then
// releases a map it never took: lockdep's "bad unlock balance".
// c9d52fb313d3 (v6.10-rc3) reverted the map; the bridge locking stayed.
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v6_10_rc1 {
using namespace pcirig::model;

static Co<void> pci_cfg_access_lock(pci_dev* dev)
{
	might_sleep();

	co_await lock_map_acquire(&dev->cfg_access_lock);

	co_await raw_spin_lock_irq(&pci_lock);
	if (bool blocked = co_await READ(dev->block_cfg_access))
		co_await pci_wait_cfg(dev);
	co_await WRITE(dev->block_cfg_access, 1);
	co_await raw_spin_unlock_irq(&pci_lock);
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

	co_await lock_map_release(&dev->cfg_access_lock);
}

PCIRIG_REGISTER_VARIANT(v6_10_rc1, Variant{
	"v6.10-rc1", "mainline", "7e89efc6e9e4", "v6.10-rc1 .. v6.10-rc2",
	"bad-unlock",
	"cfg_access_lock lockdep map: taken by pci_cfg_access_lock, never by the trylock, released by the unlock",
	{.pci_cfg_access_lock = pci_cfg_access_lock, .pci_cfg_access_unlock = pci_cfg_access_unlock},
	"try_reset:ep1;config_read:ep1;reset:ep2"});

}  // namespace pcirig::variants::v6_10_rc1
