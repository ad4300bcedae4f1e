// Matthew Wilcox's 2019 proposal (never merged), on v4.10: config accesses take a
// per-device rwsem for read, pci_cfg_access_lock() takes it for write, so no
// hand-made wait queue is needed. Rejected by Thomas Gleixner: MSI and other
// low-level code read config space with interrupts off under raw spinlocks,
// where an rwsem cannot be taken. Here the kernel accessor takes it too, so
// the perf and MSI paths sleep in atomic context.
#include "pcirig/model/kernel.h"

namespace pcirig::variants::rwsem {
using namespace pcirig::model;

static Co<int> pci_user_read_config_dword(pci_dev* dev, int pos, u32* val)
{
	int ret = 0;
	u32 data = -1;

	co_await down_read(&dev->cfg_access_sem);
	ret = co_await pci_ops_read(dev, pos, &data);
	co_await up_read(&dev->cfg_access_sem);
	*val = data;
	co_return ret;
}

static Co<int> pci_user_write_config_dword(pci_dev* dev, int pos, u32 val)
{
	int ret = 0;

	co_await down_read(&dev->cfg_access_sem);
	ret = co_await pci_ops_write(dev, pos, val);
	co_await up_read(&dev->cfg_access_sem);
	co_return ret;
}

static Co<void> pci_cfg_access_lock(pci_dev* dev)
{
	co_await down_write(&dev->cfg_access_sem);
	co_await WRITE(dev->block_cfg_access, 1);  // kept for the WARN_ON below
}

static Co<bool> pci_cfg_access_trylock(pci_dev* dev)
{
	if (bool locked = co_await down_write_trylock(&dev->cfg_access_sem); !locked)
		co_return false;
	co_await WRITE(dev->block_cfg_access, 1);
	co_return true;
}

static Co<void> pci_cfg_access_unlock(pci_dev* dev)
{
	WARN_ON(!co_await READ(dev->block_cfg_access));
	co_await WRITE(dev->block_cfg_access, 0);
	co_await up_write(&dev->cfg_access_sem);
}

// Kernel accessor: the same rwsem, from any context. This is the flaw.
static Co<int> pci_bus_read_config_dword(pci_dev* dev, int pos, u32* val)
{
	int res;
	u32 data = 0;

	/* model: the task that blocked the device may still access it, as with
	 * block_cfg_access (pci_reset_function saves state while blocked) */
	bool owner = dev->cfg_access_sem.writer == current;

	if (!owner)
		co_await down_read(&dev->cfg_access_sem);
	res = co_await pci_ops_read(dev, pos, &data);
	if (!owner)
		co_await up_read(&dev->cfg_access_sem);
	*val = data;
	co_return res;
}

PCIRIG_REGISTER_VARIANT(rwsem, Variant{
	"rwsem", "v4.10", "proposal 2019", "never merged",
	"atomic-sleep",
	"config access through a per-device rwsem: the atomic readers sleep",
	{.pci_user_read_config_dword = pci_user_read_config_dword,
	 .pci_user_write_config_dword = pci_user_write_config_dword,
	 .pci_cfg_access_lock = pci_cfg_access_lock,
	 .pci_cfg_access_trylock = pci_cfg_access_trylock,
	 .pci_cfg_access_unlock = pci_cfg_access_unlock,
	 .pci_bus_read_config_dword = pci_bus_read_config_dword}});

}  // namespace pcirig::variants::rwsem
