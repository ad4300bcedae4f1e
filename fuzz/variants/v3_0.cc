// Before fb51ccbf217c "PCI: Rework config space blocking services" (v3.3):
// v2.6.20 .. v3.2. Blocking a device that is already blocked is a kernel
// BUG, raised after dropping pci_lock, so two sysfs resets of one device
// (pci_dev_reset() blocked user config access, then took device_lock)
// overlap into "kernel BUG in pci_block_user_cfg_access". fb51ccbf217c made
// the second blocker sleep instead (pci_cfg_access_lock). The era also has
// v2.6.20's pci_lock -> pi_lock inversion (its base).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v3_0 {
using namespace pcirig::model;

static Co<void> pci_block_user_cfg_access(pci_dev* dev)
{
	unsigned long flags;
	int was_blocked;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);
	was_blocked = co_await READ(dev->block_cfg_access);  /* dev->block_ucfg_access */
	co_await WRITE(dev->block_cfg_access, 1);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);

	/* not under pci_lock: a BUG there would take the machine down */
	BUG_ON(was_blocked);
}

PCIRIG_REGISTER_VARIANT(v3_0, Variant{
	"v3.0", "v2.6.20", "before fb51ccbf217c", "v2.6.20 .. v3.2",
	"bug|lock-inversion|deadlock",
	"pci_block_user_cfg_access: BUG_ON(was_blocked) when a second reset blocks the device",
	{.pci_cfg_access_lock = pci_block_user_cfg_access},
	"reset:0;reset:0;config_read:0"});

}  // namespace pcirig::variants::v3_0
