// drivers/pci/remove.c, drivers/pci/bus.c and the driver core's bind and
// unbind (drivers/base/dd.c): removal stops each device (its driver's remove
// runs under device_lock), then unlinks it from its bus under pci_bus_sem.
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

static Co<void> pci_stop_bus_device(pci_dev* dev)
{
	pci_bus* bus = dev->subordinate;
	pci_dev *child, *tmp;

	/* reverse: VFs go before their PF */
	if (bus)
		list_for_each_entry_safe_reverse(child, tmp, &bus->devices, bus_list)
			co_await pci_stop_bus_device(child);

	/* pci_stop_dev() */
	if (dev->is_added) {
		co_await device_release_driver(dev);
		dev->is_added = false;
	}
}

static Co<void> pci_remove_bus_device(pci_dev* dev)
{
	pci_bus* bus = dev->subordinate;
	pci_dev *child, *tmp;

	if (bus)
		list_for_each_entry_safe(child, tmp, &bus->devices, bus_list)
			co_await pci_remove_bus_device(child);

	/*
	 * pci_destroy_dev(): device_del() first. Its bus_remove_device()
	 * releases the driver again, so the unlink below waits for whoever
	 * holds device_lock: a bus or slot reset cannot lose the device
	 * from the list it unlocks.
	 */
	co_await device_release_driver(dev);

	co_await down_write(&pci_bus_sem);
	list_del(&dev->bus_list);
	co_await up_write(&pci_bus_sem);
}

static Co<void> pci_stop_and_remove_bus_device(pci_dev* dev)
{
	co_await pci_stop_bus_device(dev);
	co_await pci_remove_bus_device(dev);
}

static Co<void> pci_bus_add_devices(pci_bus* bus)
{
	pci_dev* dev;

	list_for_each_entry(dev, &bus->devices, bus_list) {
		/* pci_bus_add_device() */
		if (!dev->is_added) {
			co_await device_attach(dev);
			dev->is_added = true;
		}
		if (dev->subordinate)
			co_await model::pci_bus_add_devices(dev->subordinate);
	}
}

/* __device_release_driver() -> pci_device_remove() -> drv->remove() */
static Co<void> device_release_driver(pci_dev* dev)
{
	co_await device_lock(&dev->dev);
	if (dev->driver_bound) {
		if (dev->vfio)
			co_await vfio_pci_remove(dev);
		dev->driver_bound = false;
	}
	co_await device_unlock(&dev->dev);
}

/* __device_attach() -> driver_probe_device() -> pci_device_probe() */
static Co<int> device_attach(pci_dev* dev)
{
	co_await device_lock(&dev->dev);
	if (!dev->driver_bound)
		dev->driver_bound = true;  /* vfio-pci's probe: no user has it open yet */
	co_await device_unlock(&dev->dev);
	co_return 1;
}

void remove_c(kernel_ops& k)
{
	k.pci_stop_and_remove_bus_device = pci_stop_and_remove_bus_device;
	k.pci_bus_add_devices = pci_bus_add_devices;
	k.device_release_driver = device_release_driver;
	k.device_attach = device_attach;
}

}  // namespace pcirig::mainline
