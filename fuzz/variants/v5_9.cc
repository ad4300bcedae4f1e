// 2a7e32d0547f (2020, the access.c fix), v5.9+, 5.4.59, 4.19.140, 4.14.194,
// 4.9.233: pci_wait_cfg() sleeps in wait_event() with pci_lock dropped, as
// mainline does. What differs from mainline is pci.c of that time:
// pci_dev_lock takes the cfg-access block before device_lock (reversed by
// a91ee0e9fca9, v5.19), pci_reset_function does not lock the upstream
// bridge (7e89efc6e9e4, v6.10), and bus and slot locking lock each device,
// then its subordinate bus, and never the bridge above (a4e772898f8b, v6.11),
// and so do the trylock walks.
// pciehp and vfio are mainline's here, so this variant stays the access.c
// fix only (the kernel v5.9's pciehp deadlock is variant pciehp-4.19).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v5_9 {
using namespace pcirig::model;

static Co<int> pci_reset_function(pci_dev* dev)
{
	int rc;

	co_await pci_dev_lock(dev);
	co_await pci_dev_save_and_disable(dev);

	rc = co_await __pci_reset_function_locked(dev);

	co_await pci_dev_unlock(dev);

	co_return rc;
}

static Co<void> pci_slot_lock(pci_slot* slot)
{
	pci_dev* dev;

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		co_await pci_dev_lock(dev);
		if (dev->subordinate)
			co_await pci_bus_lock(dev->subordinate);
	}
}

static Co<void> pci_slot_unlock(pci_slot* slot)
{
	pci_dev* dev;

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate)
			co_await pci_bus_unlock(dev->subordinate);
		co_await pci_dev_unlock(dev);
	}
}

static Co<void> pci_bus_lock(pci_bus* bus)
{
	pci_dev* dev;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		co_await pci_dev_lock(dev);
		if (dev->subordinate)
			co_await model::pci_bus_lock(dev->subordinate);
	}
}

static Co<void> pci_bus_unlock(pci_bus* bus)
{
	pci_dev* dev;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (dev->subordinate)
			co_await model::pci_bus_unlock(dev->subordinate);
		co_await pci_dev_unlock(dev);
	}
}

static Co<int> pci_slot_trylock(pci_slot* slot)
{
	pci_dev* dev;

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (int locked = co_await pci_dev_trylock(dev); !locked)
			goto unlock;
		if (dev->subordinate) {
			if (int locked = co_await model::pci_bus_trylock(dev->subordinate); !locked) {
				co_await pci_dev_unlock(dev);
				goto unlock;
			}
		}
	}
	co_return 1;

unlock:
	list_for_each_entry_continue_reverse(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate)
			co_await model::pci_bus_unlock(dev->subordinate);
		co_await pci_dev_unlock(dev);
	}
	co_return 0;
}

static Co<int> pci_bus_trylock(pci_bus* bus)
{
	pci_dev* dev;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (int locked = co_await pci_dev_trylock(dev); !locked)
			goto unlock;
		if (dev->subordinate) {
			if (int locked = co_await model::pci_bus_trylock(dev->subordinate); !locked) {
				co_await pci_dev_unlock(dev);
				goto unlock;
			}
		}
	}
	co_return 1;

unlock:
	list_for_each_entry_continue_reverse(dev, &bus->devices, bus_list) {
		if (dev->subordinate)
			co_await model::pci_bus_unlock(dev->subordinate);
		co_await pci_dev_unlock(dev);
	}
	co_return 0;
}

static Co<void> pci_dev_lock(pci_dev* dev)
{
	co_await pci_cfg_access_lock(dev);
	/* block PM suspend, driver probe, etc. */
	co_await device_lock(&dev->dev);
}

static Co<int> pci_dev_trylock(pci_dev* dev)
{
	if (bool cfg_locked = co_await pci_cfg_access_trylock(dev)) {
		if (bool dev_locked = co_await device_trylock(&dev->dev))
			co_return 1;
		co_await pci_cfg_access_unlock(dev);
	}

	co_return 0;
}

static Co<void> pci_dev_unlock(pci_dev* dev)
{
	co_await device_unlock(&dev->dev);
	co_await pci_cfg_access_unlock(dev);
}

PCIRIG_REGISTER_VARIANT(v5_9, Variant{
	"v5.9", "mainline", "2a7e32d0547f", "v5.9+, 5.4.59, 4.19.140, 4.14.194, 4.9.233",
	"none",
	"the access.c fix: pci_wait_cfg drops pci_lock and uses wait_event(pci_cfg_wait, ...)",
	{.pci_dev_lock = pci_dev_lock, .pci_dev_trylock = pci_dev_trylock, .pci_dev_unlock = pci_dev_unlock,
	 .pci_reset_function = pci_reset_function, .pci_bus_lock = pci_bus_lock, .pci_bus_unlock = pci_bus_unlock,
	 .pci_slot_lock = pci_slot_lock, .pci_slot_unlock = pci_slot_unlock, .pci_bus_trylock = pci_bus_trylock,
	 .pci_slot_trylock = pci_slot_trylock}});

}  // namespace pcirig::variants::v5_9
