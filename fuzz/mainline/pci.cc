// drivers/pci/pci.c today: pci_dev_lock takes device_lock first (the order
// a91ee0e9fca9 reversed, v5.19), pci_reset_function locks the upstream bridge
// too (7e89efc6e9e4, v6.10), and pci_bus_lock/pci_slot_lock lock the bridge
// above and every device below once (a4e772898f8b as merged, v6.11), and
// the trylock walks the same way (vfio's hot reset: pci_reset_bus).
// pci_dev_restore() (config writes after the reset) is not modelled.
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

static Co<int> pci_reset_function(pci_dev* dev)
{
	pci_dev* bridge;
	int rc;

	/*
	 * Without an upstream bridge there is no upstream bridge
	 * configuration to hold consistent.
	 */
	bridge = pci_upstream_bridge(dev);
	if (bridge)
		co_await pci_dev_lock(bridge);

	co_await pci_dev_lock(dev);
	co_await pci_dev_save_and_disable(dev);

	rc = co_await __pci_reset_function_locked(dev);

	co_await pci_dev_unlock(dev);

	if (bridge)
		co_await pci_dev_unlock(bridge);

	co_return rc;
}

static Co<int> pci_try_reset_function(pci_dev* dev)
{
	int rc;

	if (int locked = co_await pci_dev_trylock(dev); !locked)
		co_return -EAGAIN;

	co_await pci_dev_save_and_disable(dev);
	rc = co_await __pci_reset_function_locked(dev);
	co_await pci_dev_unlock(dev);

	co_return rc;
}

/*
 * __pci_reset_slot() and __pci_reset_bus(): pci_reset_bus() with every
 * device of the slot or bus taken by trylock (-EAGAIN when one is busy).
 * The per-device save and restore around the reset are not modelled.
 */
static Co<int> __pci_reset_slot(pci_slot* slot)
{
	int rc;

	if (int locked = co_await pci_slot_trylock(slot); !locked)
		co_return -EAGAIN;

	might_sleep();

	rc = co_await pci_reset_hotplug_slot(slot->hotplug);

	co_await pci_slot_unlock(slot);

	co_return rc;
}

static Co<int> __pci_reset_bus(pci_bus* bus)
{
	int rc;

	/* pci_bus_reset(bus, PCI_RESET_PROBE) */
	if (!bus->self)
		co_return -ENOTTY;

	if (int locked = co_await pci_bus_trylock(bus); !locked)
		co_return -EAGAIN;

	might_sleep();

	rc = co_await pci_bridge_secondary_bus_reset(bus->self);

	co_await pci_bus_unlock(bus);

	co_return rc;
}

/* the slot when pci_probe_reset_slot() allows it, else the bus */
static Co<int> pci_reset_bus(pci_dev* pdev)
{
	if (pdev->slot && pdev->slot->hotplug)
		co_return co_await __pci_reset_slot(pdev->slot);
	co_return co_await __pci_reset_bus(pdev->bus);
}

static Co<int> pcie_flr(pci_dev* dev)
{
	co_await sched_point("pcie_flr", dev->name);
	co_return 0;
}

static Co<int> pci_parent_bus_reset(pci_dev* dev)
{
	pci_dev* pdev;

	if (!dev->bus->self || dev->subordinate)
		co_return -ENOTTY;

	list_for_each_entry(pdev, &dev->bus->devices, bus_list)
		if (pdev != dev)
			co_return -ENOTTY;

	co_return co_await pci_bridge_secondary_bus_reset(dev->bus->self);
}

static Co<int> pci_reset_bus_function(pci_dev* dev)
{
	/* pci_dev_reset_slot_function() */
	if (!dev->subordinate && dev->slot)
		co_return co_await pci_reset_hotplug_slot(dev->slot->hotplug);
	co_return co_await pci_parent_bus_reset(dev);
}

/* dev->reset_methods[]: FLR when the device has it, else its slot or bus */
static Co<int> __pci_reset_function_locked(pci_dev* dev)
{
	might_sleep();

	if (dev->has_flr)
		co_return co_await pcie_flr(dev);
	co_return co_await pci_reset_bus_function(dev);
}

static Co<int> pci_bus_error_reset(pci_dev* bridge)
{
	pci_bus* bus = bridge->subordinate;

	if (!bus)
		co_return -ENOTTY;

	co_await mutex_lock(&pci_slot_mutex);
	if (!bus->slot)
		goto bus_reset;

	if (int rc = co_await pci_slot_reset(bus->slot); rc)
		goto bus_reset;

	co_await mutex_unlock(&pci_slot_mutex);
	co_return 0;
bus_reset:
	co_await mutex_unlock(&pci_slot_mutex);
	co_return co_await pci_bus_reset(bridge->subordinate);
}

static Co<int> pci_slot_reset(pci_slot* slot)
{
	int rc;

	co_await pci_slot_lock(slot);

	might_sleep();

	rc = co_await pci_reset_hotplug_slot(slot->hotplug);

	co_await pci_slot_unlock(slot);

	co_return rc;
}

static Co<int> pci_bus_reset(pci_bus* bus)
{
	int ret;

	if (!bus->self)
		co_return -ENOTTY;

	co_await pci_bus_lock(bus);

	might_sleep();

	ret = co_await pci_bridge_secondary_bus_reset(bus->self);

	co_await pci_bus_unlock(bus);

	co_return ret;
}

static Co<void> pci_slot_lock(pci_slot* slot)
{
	pci_dev* bridge = slot->bus->self;
	pci_dev* dev;

	if (bridge)
		co_await pci_dev_lock(bridge);

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate)
			co_await pci_bus_lock(dev->subordinate);
		else
			co_await pci_dev_lock(dev);
	}
}

static Co<void> pci_slot_unlock(pci_slot* slot)
{
	pci_dev* bridge = slot->bus->self;
	pci_dev* dev;

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate)
			co_await pci_bus_unlock(dev->subordinate);
		else
			co_await pci_dev_unlock(dev);
	}

	if (bridge)
		co_await pci_dev_unlock(bridge);
}

static Co<int> pci_slot_trylock(pci_slot* slot)
{
	pci_dev* bridge = slot->bus->self;
	pci_dev* dev;

	if (bridge) {
		if (int locked = co_await pci_dev_trylock(bridge); !locked)
			co_return 0;
	}

	list_for_each_entry(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate) {
			if (int locked = co_await pci_bus_trylock(dev->subordinate); !locked)
				goto unlock;
		} else if (int locked = co_await pci_dev_trylock(dev); !locked) {
			goto unlock;
		}
	}
	co_return 1;

unlock:
	list_for_each_entry_continue_reverse(dev, &slot->bus->devices, bus_list) {
		if (!dev->slot || dev->slot != slot)
			continue;
		if (dev->subordinate)
			co_await pci_bus_unlock(dev->subordinate);
		else
			co_await pci_dev_unlock(dev);
	}
	if (bridge)
		co_await pci_dev_unlock(bridge);
	co_return 0;
}

static Co<int> pci_bus_trylock(pci_bus* bus)
{
	pci_dev* dev;

	if (int locked = co_await pci_dev_trylock(bus->self); !locked)
		co_return 0;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (dev->subordinate) {
			if (int locked = co_await model::pci_bus_trylock(dev->subordinate); !locked)
				goto unlock;
		} else if (int locked = co_await pci_dev_trylock(dev); !locked) {
			goto unlock;
		}
	}
	co_return 1;

unlock:
	list_for_each_entry_continue_reverse(dev, &bus->devices, bus_list) {
		if (dev->subordinate)
			co_await model::pci_bus_unlock(dev->subordinate);
		else
			co_await pci_dev_unlock(dev);
	}
	co_await pci_dev_unlock(bus->self);
	co_return 0;
}

static Co<void> pci_bus_lock(pci_bus* bus)
{
	pci_dev* dev;

	co_await pci_dev_lock(bus->self);
	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (dev->subordinate)
			co_await model::pci_bus_lock(dev->subordinate);
		else
			co_await pci_dev_lock(dev);
	}
}

static Co<void> pci_bus_unlock(pci_bus* bus)
{
	pci_dev* dev;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		if (dev->subordinate)
			co_await model::pci_bus_unlock(dev->subordinate);
		else
			co_await pci_dev_unlock(dev);
	}
	co_await pci_dev_unlock(bus->self);
}

static Co<void> pci_dev_lock(pci_dev* dev)
{
	/* block PM suspend, driver probe, etc. */
	co_await device_lock(&dev->dev);
	co_await pci_cfg_access_lock(dev);
}

static Co<int> pci_dev_trylock(pci_dev* dev)
{
	if (bool dev_locked = co_await device_trylock(&dev->dev)) {
		if (bool cfg_locked = co_await pci_cfg_access_trylock(dev))
			co_return 1;
		co_await device_unlock(&dev->dev);
	}

	co_return 0;
}

static Co<void> pci_dev_unlock(pci_dev* dev)
{
	co_await pci_cfg_access_unlock(dev);
	co_await device_unlock(&dev->dev);
}

/* pci_save_state() reads config space through the kernel accessor */
static Co<void> pci_dev_save_and_disable(pci_dev* dev)
{
	u32 cmd;

	co_await pci_bus_read_config_dword(dev, PCI_COMMAND, &cmd);
}

static Co<int> pci_reset_hotplug_slot(hotplug_slot* hotplug)
{
	if (!hotplug)
		co_return -ENOTTY;

	/* hotplug->ops->reset_slot */
	co_return co_await pciehp_reset_slot(hotplug);
}

/* pci_reset_secondary_bus(): toggle PCI_BRIDGE_CTL_BUS_RESET, then wait */
static Co<int> pci_bridge_secondary_bus_reset(pci_dev* dev)
{
	co_await sched_point("PCI_BRIDGE_CTL_BUS_RESET", dev->name);
	co_return 0;
}

void pci_c(kernel_ops& k)
{
	k.pci_dev_lock = pci_dev_lock;
	k.pci_dev_trylock = pci_dev_trylock;
	k.pci_dev_unlock = pci_dev_unlock;
	k.pci_dev_save_and_disable = pci_dev_save_and_disable;
	k.__pci_reset_function_locked = __pci_reset_function_locked;
	k.pci_reset_function = pci_reset_function;
	k.pci_try_reset_function = pci_try_reset_function;
	k.pci_reset_hotplug_slot = pci_reset_hotplug_slot;
	k.pci_bridge_secondary_bus_reset = pci_bridge_secondary_bus_reset;
	k.pci_bus_lock = pci_bus_lock;
	k.pci_bus_unlock = pci_bus_unlock;
	k.pci_slot_lock = pci_slot_lock;
	k.pci_slot_unlock = pci_slot_unlock;
	k.pci_slot_trylock = pci_slot_trylock;
	k.pci_bus_trylock = pci_bus_trylock;
	k.pci_reset_bus = pci_reset_bus;
	k.pci_slot_reset = pci_slot_reset;
	k.pci_bus_reset = pci_bus_reset;
	k.pci_bus_error_reset = pci_bus_error_reset;
}

}  // namespace pcirig::mainline
