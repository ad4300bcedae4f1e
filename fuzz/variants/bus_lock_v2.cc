// The posted v2 of a4e772898f8b "PCI: Add missing bridge lock to
// pci_bus_lock()" (2024; merged corrected in v6.11-rc1): pci_bus_lock()
// locks the bridge bus->self, then each device and, for a bridge, its
// subordinate bus, whose own bus->self is that same bridge, already locked:
// a recursive device_lock, a certain self-deadlock (caught in review). The
// merged form (mainline) recurses for a bridge instead of locking it.
#include "pcirig/model/kernel.h"

namespace pcirig::variants::bus_lock_v2 {
using namespace pcirig::model;

static Co<void> pci_bus_lock(pci_bus* bus)
{
	pci_dev* dev;

	co_await pci_dev_lock(bus->self);
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
	co_await pci_dev_unlock(bus->self);
}

PCIRIG_REGISTER_VARIANT(bus_lock_v2, Variant{
	"bus-lock-v2", "mainline", "a4e772898f8b (posted v2)", "never merged",
	"deadlock",
	"pci_bus_lock locks bus->self, then a child bridge, then that bridge again as the child bus's self",
	{.pci_bus_lock = pci_bus_lock, .pci_bus_unlock = pci_bus_unlock},
	"aer_reset:rp1;config_read:ep2;reset:ep2"});

}  // namespace pcirig::variants::bus_lock_v2
