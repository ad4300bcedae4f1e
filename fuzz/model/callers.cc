// The entry points a scenario's tasks start in: sysfs files, vfio ioctls and
// the fd's release, the perf uncore reader, MSI masking, the pciehp IRQ
// thread, AER recovery and SR-IOV's sriov_numvfs. They call the modelled kernel functions
// (kernel_ops.h), so every variant runs them through its own code.
#include "model/callers.h"

#include "pcirig/model/kernel.h"
#include "model/internal.h"

namespace pcirig::model {

/* drivers/pci/pci-sysfs.c: reading the `config` file */
static Co<void> pci_read_config(pci_dev* dev)
{
	u32 val;

	current->m.user_access = true;
	co_await pci_user_read_config_dword(dev, PCI_VENDOR_ID, &val);
	current->m.user_access = false;
}

/* drivers/pci/pci-sysfs.c: writing the `config` file */
static Co<void> pci_write_config(pci_dev* dev)
{
	current->m.user_access = true;
	co_await pci_user_write_config_dword(dev, PCI_COMMAND, 0x0406);
	current->m.user_access = false;
}

/* drivers/pci/pci-sysfs.c: echo 1 > reset */
static Co<void> reset_store(pci_dev* dev)
{
	if (!dev->is_added)  /* removed: its sysfs files are gone */
		co_return;
	co_await pci_reset_function(dev);
}

/* drivers/pci/pci-sysfs.c: echo 1 > remove */
static Co<void> remove_store(pci_dev* dev)
{
	if (!dev->is_added)
		co_return;
	/* pci_stop_and_remove_bus_device_locked() */
	co_await pci_lock_rescan_remove();
	if (dev->is_added)
		co_await pci_stop_and_remove_bus_device(dev);
	co_await pci_unlock_rescan_remove();
}

/* drivers/pci/pci-sysfs.c: echo 1 > /sys/bus/pci/rescan */
static Co<void> rescan_store()
{
	co_await pci_lock_rescan_remove();
	/* pci_rescan_bus(): removed devices below a present bridge come back */
	co_await pci_bus_add_devices(pci_root_bus());
	co_await pci_unlock_rescan_remove();
}

/* drivers/base/bus.c: echo DEV > /sys/bus/pci/drivers/vfio-pci/unbind */
static Co<void> unbind_store(pci_dev* dev)
{
	if (!dev->is_added)
		co_return;
	co_await device_release_driver(dev);
}

/* drivers/vfio/vfio_main.c: an ioctl on a closed fd fails */
static bool vfio_fd_open(vfio_pci_core_device* vdev)
{
	return vdev && vdev->open_count && !vdev->closing;
}

/* the last close of the device fd: vfio_device_fops_release() */
static Co<void> vfio_device_fops_release(vfio_pci_core_device* vdev)
{
	if (!vfio_fd_open(vdev))
		co_return;
	vdev->closing = true;
	co_await vfio_pci_core_close_device(vdev);
	/* vfio_device_put_registration(): the unregistering task may go on */
	co_await WRITE_ONCE(vdev->open_count, 0);
	co_await wake_up_all(&vdev->release_q);
}

/*
 * An ioctl holds a reference to the fd (fdget): a close the user did
 * meanwhile (asked by vfio_device_request) releases the device when the
 * last ioctl returns, in that task (fput at the return to user space).
 */
static Co<void> vfio_ioctl_return(vfio_pci_core_device* vdev)
{
	if (--vdev->ioctls_in_flight == 0 && vdev->release_requested)
		co_await vfio_device_fops_release(vdev);
}

/* VFIO_DEVICE_RESET */
static Co<void> vfio_ioctl_reset(pci_dev* dev)
{
	if (!vfio_fd_open(dev->vfio))
		co_return;
	dev->vfio->ioctls_in_flight++;
	co_await vfio_pci_ioctl_reset(dev->vfio);
	co_await vfio_ioctl_return(dev->vfio);
}

/* VFIO_DEVICE_SET_IRQS (MSI) */
static Co<void> vfio_ioctl_set_irqs(pci_dev* dev)
{
	if (!vfio_fd_open(dev->vfio))
		co_return;
	dev->vfio->ioctls_in_flight++;
	co_await vfio_pci_ioctl_set_irqs(dev->vfio);
	co_await vfio_ioctl_return(dev->vfio);
}

/* VFIO_DEVICE_PCI_HOT_RESET */
static Co<void> vfio_ioctl_hot_reset(pci_dev* dev)
{
	if (!vfio_fd_open(dev->vfio))
		co_return;
	dev->vfio->ioctls_in_flight++;
	co_await vfio_pci_ioctl_pci_hot_reset(dev->vfio);
	co_await vfio_ioctl_return(dev->vfio);
}

/* arch/x86/events/intel/uncore_snbep.c: reads a counter through config space */
static Co<void> snbep_uncore_pci_read_counter(pci_dev* dev)
{
	u32 count;

	co_await pci_bus_read_config_dword(dev, 0xa0, &count);
}

/*
 * The perf uncore path of bugzilla 192901: counters are read during a
 * context switch with the task's pi_lock held (atomic, interrupts off).
 */
static Co<void> perf_event_task_sched_out(task_struct* p, pci_dev* dev)
{
	unsigned long flags;

	co_await raw_spin_lock_irqsave(&p->pi_lock, flags);
	co_await snbep_uncore_pci_read_counter(dev);
	co_await raw_spin_unlock_irqrestore(&p->pi_lock, flags);
}

/* MSI masking reads config space with interrupts off */
static Co<void> pci_msi_mask_irq(pci_dev* dev)
{
	unsigned long flags;
	u32 mask;

	co_await local_irq_save(flags);
	co_await pci_bus_read_config_dword(dev, 0x10, &mask);
	co_await local_irq_restore(flags);
}

/* kernel/irq/manage.c: the pciehp IRQ thread, one event at a time */
static Co<void> irq_thread_fn(controller* ctrl)
{
	co_await mutex_lock(&ctrl->irq_thread);
	co_await pciehp_ist(ctrl);
	co_await mutex_unlock(&ctrl->irq_thread);
}

/* drivers/pci/pcie/aer.c: aer_root_reset() resets below the port */
static Co<void> aer_root_reset(pci_dev* bridge)
{
	if (!bridge->is_added)
		co_return;
	co_await pci_bus_error_reset(bridge);
}

/*
 * drivers/pci/iov.c: echo N > sriov_numvfs of the PF. The user writes 1
 * when the VFs are off and 0 when they are on (a toggle, as pciehp_event
 * toggles the slot), so a call always changes something.
 */
static Co<void> sriov_numvfs_write(pci_dev* pdev)
{
	if (!pdev->is_added)
		co_return;
	co_await sriov_numvfs_store(pdev, pdev->num_VFs ? 0 : 1);
}

/* a crafted caller bug: unblocking a device nobody blocked */
static Co<void> unbalanced_cfg_unlock(pci_dev* dev)
{
	co_await pci_cfg_access_unlock(dev);
}

Co<void> run_call(const CallSpec& c)
{
	pci_dev* dev = pci_dev_by_id(c.dev);
	switch (c.call) {
	case Call::config_read: return pci_read_config(dev);
	case Call::config_write: return pci_write_config(dev);
	case Call::reset: return reset_store(dev);
	case Call::try_reset: return vfio_ioctl_reset(dev);
	case Call::perf_read: return perf_event_task_sched_out(task_by_id(c.arg), dev);
	case Call::msi_mask: return pci_msi_mask_irq(dev);
	case Call::cfg_unlock: return unbalanced_cfg_unlock(dev);
	case Call::vfio_close: return vfio_device_fops_release(dev->vfio);
	case Call::vfio_set_irqs: return vfio_ioctl_set_irqs(dev);
	case Call::unbind: return unbind_store(dev);
	case Call::remove: return remove_store(dev);
	case Call::rescan: return rescan_store();
	case Call::pciehp_event: return irq_thread_fn(pciehp_controller());
	case Call::aer_reset: return aer_root_reset(dev);
	case Call::hot_reset: return vfio_ioctl_hot_reset(dev);
	case Call::sriov_numvfs: return sriov_numvfs_write(dev);
	}
	return pci_read_config(dev);
}

}  // namespace pcirig::model
