// The callers every variant shares (drivers/pci/pci.c, pci-sysfs.c, vfio,
// perf uncore, MSI): the entry points a scenario's tasks run.
#include "model/callers.h"

#include "pcirig/model/kernel.h"
#include "model/internal.h"

namespace pcirig::model {

/* drivers/pci/pci-sysfs.c: reading the `config` file */
static Co<void> pci_read_config(pci_dev* dev)
{
	u32 val;

	current->m.user_access = true;
	co_await pci_access().pci_user_read_config_dword(dev, PCI_VENDOR_ID, &val);
	current->m.user_access = false;
}

/* drivers/pci/pci-sysfs.c: writing the `config` file */
static Co<void> pci_write_config(pci_dev* dev)
{
	current->m.user_access = true;
	co_await pci_access().pci_user_write_config_dword(dev, PCI_COMMAND, 0x0406);
	current->m.user_access = false;
}

static Co<void> pci_dev_lock(pci_dev* dev)
{
	co_await pci_access().pci_cfg_access_lock(dev);
	/* block PM suspend, driver probe, etc. */
	co_await device_lock(&dev->dev);
}

static Co<int> pci_dev_trylock(pci_dev* dev)
{
	if (bool cfg_locked = co_await pci_access().pci_cfg_access_trylock(dev)) {
		if (bool dev_locked = co_await device_trylock(&dev->dev))
			co_return 1;
		co_await pci_access().pci_cfg_access_unlock(dev);
	}

	co_return 0;
}

static Co<void> pci_dev_unlock(pci_dev* dev)
{
	co_await device_unlock(&dev->dev);
	co_await pci_access().pci_cfg_access_unlock(dev);
}

/* pci_save_state() reads config space through the kernel accessor */
static Co<void> pci_dev_save_and_disable(pci_dev* dev)
{
	u32 cmd;

	co_await pci_access().pci_bus_read_config_dword(dev, PCI_COMMAND, &cmd);
}

static Co<int> __pci_reset_function_locked(pci_dev* dev)
{
	co_await sched_point("pcie_flr", dev->name);
	co_return 0;
}

static Co<int> pci_reset_function(pci_dev* dev)
{
	int rc;

	co_await pci_dev_lock(dev);
	co_await pci_dev_save_and_disable(dev);
	rc = co_await __pci_reset_function_locked(dev);
	co_await pci_dev_unlock(dev);

	co_return rc;
}

/* drivers/pci/pci-sysfs.c: echo 1 > reset */
static Co<void> reset_store(pci_dev* dev)
{
	co_await pci_reset_function(dev);
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

/* drivers/vfio/pci: VFIO_DEVICE_RESET */
static Co<void> vfio_pci_ioctl_reset(pci_dev* dev)
{
	co_await pci_try_reset_function(dev);
}

/* arch/x86/events/intel/uncore_snbep.c: reads a counter through config space */
static Co<void> snbep_uncore_pci_read_counter(pci_dev* dev)
{
	u32 count;

	co_await pci_access().pci_bus_read_config_dword(dev, 0xa0, &count);
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
	co_await pci_access().pci_bus_read_config_dword(dev, 0x10, &mask);
	co_await local_irq_restore(flags);
}

/* a crafted caller bug: unblocking a device nobody blocked */
static Co<void> unbalanced_cfg_unlock(pci_dev* dev)
{
	co_await pci_access().pci_cfg_access_unlock(dev);
}

Co<void> run_call(const CallSpec& c)
{
	pci_dev* dev = pci_dev_by_id(c.dev);
	switch (c.call) {
	case Call::config_read: return pci_read_config(dev);
	case Call::config_write: return pci_write_config(dev);
	case Call::reset: return reset_store(dev);
	case Call::try_reset: return vfio_pci_ioctl_reset(dev);
	case Call::perf_read: return perf_event_task_sched_out(task_by_id(c.arg), dev);
	case Call::msi_mask: return pci_msi_mask_irq(dev);
	case Call::cfg_unlock: return unbalanced_cfg_unlock(dev);
	}
	return pci_read_config(dev);
}

}  // namespace pcirig::model
