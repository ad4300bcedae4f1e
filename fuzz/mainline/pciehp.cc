// drivers/pci/hotplug/pciehp_{hpc,ctrl,pci}.c today: the IRQ thread handles
// a presence or link change under down_read_nested(&ctrl->reset_lock), and
// (since f5eff5591b8f, v6.4) drops reset_lock around unbinding and binding
// drivers, whose device_lock a resetter may hold while it waits for
// down_write(&ctrl->reset_lock) in pciehp_reset_slot.
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

/* pciehp_disable_slot() -> remove_board() */
static Co<void> pciehp_disable_slot(controller* ctrl)
{
	co_await pciehp_unconfigure_device(ctrl, false);
	ctrl->on = false;
}

/* pciehp_enable_slot() -> board_added() */
static Co<void> pciehp_enable_slot(controller* ctrl)
{
	co_await pciehp_configure_device(ctrl);
	ctrl->on = true;
}

/* the slot emptied or filled: remove or add its devices */
static Co<void> pciehp_handle_presence_or_link_change(controller* ctrl)
{
	if (ctrl->on)
		co_await pciehp_disable_slot(ctrl);
	else
		co_await pciehp_enable_slot(ctrl);
}

static Co<void> pciehp_ist(controller* ctrl)
{
	co_await down_read_nested(&ctrl->reset_lock, ctrl->depth);
	co_await pciehp_handle_presence_or_link_change(ctrl);
	co_await up_read(&ctrl->reset_lock);
}

/* pci_walk_bus(parent, pci_dev_set_disconnected, NULL) */
static Co<void> pci_walk_bus_set_disconnected(pci_bus* parent)
{
	co_await down_read(&pci_bus_sem);
	co_await sched_point("pci_dev_set_disconnected", parent->name);
	co_await up_read(&pci_bus_sem);
}

static Co<void> pciehp_unconfigure_device(controller* ctrl, bool presence)
{
	pci_bus* parent = ctrl->port->subordinate;
	pci_dev *dev, *temp;

	if (!presence)
		co_await pci_walk_bus_set_disconnected(parent);

	co_await pci_lock_rescan_remove();

	/* reverse order: VFs go before their PF */
	list_for_each_entry_safe_reverse(dev, temp, &parent->devices, bus_list) {
		/* drivers unbind without reset_lock: see the top of this file */
		co_await up_read(&ctrl->reset_lock);
		co_await pci_stop_and_remove_bus_device(dev);
		co_await down_read_nested(&ctrl->reset_lock, ctrl->depth);
	}

	co_await pci_unlock_rescan_remove();
}

/* pci_scan_slot(): the slot's device comes back (a new pci_dev) */
static Co<int> pci_scan_slot(pci_bus* parent, controller* ctrl)
{
	pci_dev* dev = pci_dev_by_name("ep1");

	if (!list_empty(&parent->devices))
		co_return 0;
	co_await down_write(&pci_bus_sem);
	list_add_tail(&dev->bus_list, &parent->devices);
	co_await up_write(&pci_bus_sem);
	dev->is_added = false;
	dev->driver_bound = false;
	(void)ctrl;
	co_return 1;
}

static Co<int> pciehp_configure_device(controller* ctrl)
{
	pci_bus* parent = ctrl->port->subordinate;
	int ret = 0;

	co_await pci_lock_rescan_remove();

	if (int num = co_await pci_scan_slot(parent, ctrl); num == 0) {
		ret = -ENODEV;
		goto out;
	}

	/* drivers bind without reset_lock: see the top of this file */
	co_await up_read(&ctrl->reset_lock);
	co_await pci_bus_add_devices(parent);
	co_await down_read_nested(&ctrl->reset_lock, ctrl->depth);

out:
	co_await pci_unlock_rescan_remove();
	co_return ret;
}

static Co<int> pciehp_reset_slot(hotplug_slot* hotplug)
{
	controller* ctrl = hotplug->ctrl;
	int rc;

	co_await down_write_nested(&ctrl->reset_lock, ctrl->depth);

	/* presence and link events masked around the reset */
	rc = co_await pci_bridge_secondary_bus_reset(ctrl->port);

	co_await up_write(&ctrl->reset_lock);
	co_return rc;
}

void pciehp_c(kernel_ops& k)
{
	k.pciehp_reset_slot = pciehp_reset_slot;
	k.pciehp_ist = pciehp_ist;
	k.pciehp_unconfigure_device = pciehp_unconfigure_device;
	k.pciehp_configure_device = pciehp_configure_device;
}

}  // namespace pcirig::mainline
