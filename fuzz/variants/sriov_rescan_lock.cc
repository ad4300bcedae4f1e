// 05703271c3cd "PCI/IOV: Add PCI rescan-remove locking when
// enabling/disabling SR-IOV" .. 2fa119c0e5e5 (its revert, 2025-12):
// sriov_add_vfs() and sriov_del_vfs() take pci_rescan_remove_lock around
// adding and removing the VFs. But a PF is removed under that lock already
// (sysfs remove: pci_stop_and_remove_bus_device_locked(); pciehp:
// pciehp_unconfigure_device()), and its driver's remove disables SR-IOV:
// sriov_disable() -> sriov_del_vfs() takes the lock again. Lockdep:
// "possible recursive locking detected" on pci_rescan_remove_lock, and the
// task deadlocks on itself. Until a new fix, mainline removes the VFs
// without the lock (finding sriov-disable-vs-hotplug).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::sriov_rescan_lock {
using namespace pcirig::model;

static Co<int> sriov_add_vfs(pci_dev* dev, int num_vfs)
{
	int rc = 0;

	co_await pci_lock_rescan_remove();
	for (int i = 0; i < num_vfs; i++)
		if (rc = co_await pci_iov_add_virtfn(dev, i); rc)
			break;
	co_await pci_unlock_rescan_remove();
	co_return rc;
}

static Co<void> sriov_del_vfs(pci_dev* dev)
{
	co_await pci_lock_rescan_remove();
	for (int i = 0; i < dev->num_VFs; i++)
		co_await pci_iov_remove_virtfn(dev, i);
	co_await pci_unlock_rescan_remove();
}

PCIRIG_REGISTER_VARIANT(sriov_rescan_lock, Variant{
	"sriov-rescan-lock", "mainline", "05703271c3cd .. 2fa119c0e5e5", "applied 2025 .. reverted 2025-12",
	"deadlock",
	"sriov_del_vfs takes pci_rescan_remove_lock, which the PF's removal already holds",
	{.sriov_add_vfs = sriov_add_vfs, .sriov_del_vfs = sriov_del_vfs},
	"sriov_numvfs:ep1;remove:ep1;config_read:ep1"});

}  // namespace pcirig::variants::sriov_rescan_lock
