// 5b3f7b7d062b "PCI: pciehp: Avoid slot access during reset" (v4.19) ..
// f5eff5591b8f (v6.4): pciehp's IRQ thread holds ctrl->reset_lock for read
// while it removes (or adds) the slot's devices, and unbinding a driver
// takes device_lock. A reset of a device in the slot holds device_lock (the
// vfio release path by trylock, sysfs reset and AER by pci_dev_lock) and
// then waits in pciehp_reset_slot() for down_write(&ctrl->reset_lock): an
// AB-BA deadlock that lockdep does not see (device_lock is novalidate).
// f5eff5591b8f drops reset_lock around unbinding and binding (mainline).
// The lockdep subclass (down_read_nested, 085a9f43433f) came in v5.17.
#include "pcirig/model/kernel.h"

namespace pcirig::variants::pciehp_4_19 {
using namespace pcirig::model;

static Co<void> pciehp_unconfigure_device(controller* ctrl, bool presence)
{
	pci_bus* parent = ctrl->port->subordinate;
	pci_dev *dev, *temp;

	if (!presence) {
		/* pci_walk_bus(parent, pci_dev_set_disconnected, NULL) */
		co_await down_read(&pci_bus_sem);
		co_await sched_point("pci_dev_set_disconnected", parent->name);
		co_await up_read(&pci_bus_sem);
	}

	co_await pci_lock_rescan_remove();

	/* reverse order: VFs go before their PF */
	list_for_each_entry_safe_reverse(dev, temp, &parent->devices, bus_list)
		co_await pci_stop_and_remove_bus_device(dev);

	co_await pci_unlock_rescan_remove();
}

static Co<int> pciehp_configure_device(controller* ctrl)
{
	pci_bus* parent = ctrl->port->subordinate;
	pci_dev* dev = pci_dev_by_name("ep1");
	int ret = 0;

	co_await pci_lock_rescan_remove();

	/* pci_scan_slot(): the slot's device comes back (a new pci_dev) */
	if (!list_empty(&parent->devices)) {
		ret = -EEXIST;
		goto out;
	}
	co_await down_write(&pci_bus_sem);
	list_add_tail(&dev->bus_list, &parent->devices);
	co_await up_write(&pci_bus_sem);
	dev->is_added = false;
	dev->driver_bound = false;

	co_await pci_bus_add_devices(parent);

out:
	co_await pci_unlock_rescan_remove();
	co_return ret;
}

PCIRIG_REGISTER_VARIANT(pciehp_4_19, Variant{
	"pciehp-4.19", "v5.9", "5b3f7b7d062b .. f5eff5591b8f", "v4.19 .. v6.3",
	"deadlock|hung-task",
	"pciehp unbinds drivers under reset_lock (read); a resetter holds device_lock, waits for the write",
	{.pciehp_unconfigure_device = pciehp_unconfigure_device, .pciehp_configure_device = pciehp_configure_device},
	"pciehp_event:rp0;vfio_close:ep1;config_read:ep1"});

}  // namespace pcirig::variants::pciehp_4_19
