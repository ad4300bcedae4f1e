// 7ea7e98fd8d0 (2006), v2.6.20 .. v4.9: pci_cfg_access_unlock() calls
// wake_up_all() while still holding pci_lock: pci_lock -> queue lock -> the
// wakee's pi_lock, while the perf uncore reader takes pi_lock -> pci_lock: a
// lockdep inversion (bugzilla 192901). cdcb33f98244 (v4.10) moved the wake
// after the unlock. The model uses the modern names (block_ucfg_access and
// pci_unblock_user_cfg_access until fb51ccbf217c, v3.3).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v2_6_20 {
using namespace pcirig::model;

static Co<void> pci_cfg_access_unlock(pci_dev* dev)
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&pci_lock, flags);

	/* An unbalanced unlock is the caller's bug: warn, don't oops. */
	WARN_ON(!co_await READ(dev->block_cfg_access));

	co_await WRITE(dev->block_cfg_access, 0);
	co_await wake_up_all(&pci_cfg_wait);
	co_await raw_spin_unlock_irqrestore(&pci_lock, flags);
}

PCIRIG_REGISTER_VARIANT(v2_6_20, Variant{
	"v2.6.20", "v4.10", "7ea7e98fd8d0", "v2.6.20 .. v4.9",
	"lock-inversion|deadlock",
	"wake_up_all under pci_lock: pci_lock -> pi_lock vs the perf reader's pi_lock -> pci_lock",
	{.pci_cfg_access_unlock = pci_cfg_access_unlock}});

}  // namespace pcirig::variants::v2_6_20
