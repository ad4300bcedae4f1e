// drivers/vfio/pci/vfio_pci_core.c and vfio_main.c today: the reset ioctl
// and the last close reset the device with trylocks only (61cf16d8bd38), the
// reset ioctl and MSI enabling hold memory_lock for write (abafbc551fdd,
// v5.8), SET_IRQS holds igate, the hot reset holds the dev_set lock and
// resets the slot or bus by trylocks, and unbinding waits until the user's fd is
// closed (vfio_unregister_group_dev).
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"
#include "model/internal.h"

namespace pcirig::mainline {
using namespace pcirig::model;

static Co<int> vfio_pci_ioctl_reset(vfio_pci_core_device* vdev)
{
	int ret;

	if (!vdev->reset_works)
		co_return -EINVAL;

	/* vfio_pci_zap_and_down_write_memory_lock() */
	co_await down_write(&vdev->memory_lock);
	ret = co_await pci_try_reset_function(vdev->pdev);
	co_await up_write(&vdev->memory_lock);

	co_return ret;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: vfio_pci_dev_set_hot_reset(). The dev_set (the
 * vfio devices the reset touches: here the device alone) stays locked while
 * each member's memory_lock is taken by trylock and pci_reset_bus() resets
 * the slot or bus by trylocks.
 */
static Co<int> vfio_pci_ioctl_pci_hot_reset(vfio_pci_core_device* vdev)
{
	int ret;

	co_await mutex_lock(&vdev->dev_set_lock);

	/* vfio_pci_zap_and_vma_lock(), then down_write_trylock() */
	if (bool locked = co_await down_write_trylock(&vdev->memory_lock); !locked) {
		ret = -EBUSY;
		goto err_undo;
	}

	ret = co_await pci_reset_bus(vdev->pdev);

	co_await up_write(&vdev->memory_lock);
err_undo:
	co_await mutex_unlock(&vdev->dev_set_lock);
	co_return ret;
}

/* vfio_msi_enable(): pci_alloc_irq_vectors() with memory access enabled */
static Co<int> vfio_msi_enable(vfio_pci_core_device* vdev)
{
	int ret;

	/* vfio_pci_memory_lock_and_enable() */
	co_await down_write(&vdev->memory_lock);
	ret = co_await pci_enable_msi(vdev->pdev);
	co_await up_write(&vdev->memory_lock);
	co_return ret;
}

static Co<int> vfio_pci_ioctl_set_irqs(vfio_pci_core_device* vdev)
{
	int ret;

	co_await mutex_lock(&vdev->igate);
	ret = co_await vfio_msi_enable(vdev);
	co_await mutex_unlock(&vdev->igate);

	co_return ret;
}

static Co<void> vfio_pci_core_close_device(vfio_pci_core_device* vdev)
{
	co_await vfio_pci_core_disable(vdev);
}

static Co<void> vfio_pci_core_disable(vfio_pci_core_device* vdev)
{
	pci_dev* pdev = vdev->pdev;

	/*
	 * Only with both locks taken here: the close path must not sleep on
	 * device_lock, which an unbinding task may hold while it waits for
	 * this very close.
	 */
	if (!vdev->reset_works)
		co_return;
	if (int locked = co_await pci_dev_trylock(pdev); locked) {
		co_await __pci_reset_function_locked(pdev);
		co_await pci_dev_unlock(pdev);
	}
}

static Co<void> vfio_pci_remove(pci_dev* pdev)
{
	/* vfio_pci_core_unregister_device(): a PF's VFs go first */
	co_await vfio_pci_core_sriov_configure(pdev->vfio, 0);
	co_await vfio_unregister_group_dev(pdev->vfio);
}

/*
 * vfio-pci's sriov_configure (enable_sriov=1), called with the PF's
 * device_lock held. Enabling holds memory_lock for write around
 * pci_enable_sriov() (the PF must stay in D0). The PF list
 * (vfio_pci_sriov_pfs_mutex) and runtime PM are left out.
 */
static Co<int> vfio_pci_core_sriov_configure(vfio_pci_core_device* vdev, int nr_virtfn)
{
	pci_dev* pdev = vdev->pdev;
	int ret = 0;

	if (nr_virtfn) {
		co_await down_write(&vdev->memory_lock);
		ret = co_await pci_enable_sriov(pdev, nr_virtfn);
		co_await up_write(&vdev->memory_lock);
		co_return ret ? ret : nr_virtfn;
	}
	if (pdev->num_VFs)
		co_await pci_disable_sriov(pdev);
	co_return ret;
}

static Co<void> vfio_unregister_group_dev(vfio_pci_core_device* vdev)
{
	/* vfio_device_request(): ask the user to close the device */
	vfio_device_request(vdev);
	co_await wait_event(vdev->release_q, !co_await READ_ONCE(vdev->open_count));
}

void vfio_pci_core_c(kernel_ops& k)
{
	k.vfio_pci_ioctl_reset = vfio_pci_ioctl_reset;
	k.vfio_pci_ioctl_set_irqs = vfio_pci_ioctl_set_irqs;
	k.vfio_pci_ioctl_pci_hot_reset = vfio_pci_ioctl_pci_hot_reset;
	k.vfio_pci_core_close_device = vfio_pci_core_close_device;
	k.vfio_pci_core_disable = vfio_pci_core_disable;
	k.vfio_unregister_group_dev = vfio_unregister_group_dev;
	k.vfio_pci_remove = vfio_pci_remove;
	k.vfio_pci_core_sriov_configure = vfio_pci_core_sriov_configure;
}

}  // namespace pcirig::mainline
