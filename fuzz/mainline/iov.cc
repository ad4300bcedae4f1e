// drivers/pci/iov.c today (v6.1 .. v6.12): sriov_numvfs_store() holds the
// PF's device_lock while the driver's sriov_configure enables or disables
// the VFs. Adding and removing the VF pci_devs takes no
// pci_rescan_remove_lock: 05703271c3cd added it in sriov_add_vfs() and
// sriov_del_vfs(), and 2fa119c0e5e5 reverted that, because removing the
// PF with VFs enabled then took pci_rescan_remove_lock recursively (the
// `sriov-rescan-lock` era).
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

/* Callers above callees (mainline.h): the calls go through the variant. */

static Co<int> sriov_numvfs_store(pci_dev* pdev, int num_vfs)
{
	int ret = 0;

	co_await device_lock(&pdev->dev);
	if (num_vfs == pdev->num_VFs)
		goto exit;
	/* is PF driver loaded w/callback: vfio-pci's sriov_configure */
	if (!pdev->driver_bound || !pdev->vfio) {
		ret = -ENOENT;
		goto exit;
	}
	if (num_vfs == 0) {
		ret = co_await vfio_pci_core_sriov_configure(pdev->vfio, 0);
		goto exit;
	}
	if (pdev->num_VFs) {
		ret = -EBUSY;
		goto exit;
	}
	ret = co_await vfio_pci_core_sriov_configure(pdev->vfio, num_vfs);
exit:
	co_await device_unlock(&pdev->dev);
	co_return ret;
}

/* sriov_enable(): VF Enable in the PF's config space, then the VFs appear */
static Co<int> pci_enable_sriov(pci_dev* dev, int nr_virtfn)
{
	if (dev->num_VFs)
		co_return -EBUSY;
	co_await pci_cfg_access_lock(dev);
	co_await pci_ops_write(dev, 0x48, 1);  /* PCI_SRIOV_CTRL: VFE */
	co_await pci_cfg_access_unlock(dev);
	if (int rc = co_await sriov_add_vfs(dev, nr_virtfn); rc)
		co_return rc;
	dev->num_VFs = nr_virtfn;
	co_return 0;
}

/* sriov_disable(): the VFs go, then VF Enable is cleared */
static Co<void> pci_disable_sriov(pci_dev* dev)
{
	if (!dev->num_VFs)
		co_return;
	co_await sriov_del_vfs(dev);
	co_await pci_cfg_access_lock(dev);
	co_await pci_ops_write(dev, 0x48, 0);
	co_await pci_cfg_access_unlock(dev);
	dev->num_VFs = 0;
}

static Co<int> sriov_add_vfs(pci_dev* dev, int num_vfs)
{
	for (int i = 0; i < num_vfs; i++)
		if (int rc = co_await pci_iov_add_virtfn(dev, i); rc)
			co_return rc;
	co_return 0;
}

static Co<void> sriov_del_vfs(pci_dev* dev)
{
	for (int i = 0; i < dev->num_VFs; i++)
		co_await pci_iov_remove_virtfn(dev, i);
}

static Co<int> pci_iov_add_virtfn(pci_dev* dev, int id)
{
	pci_dev* virtfn = pci_dev_by_name("vf1");  /* the topology has room for one VF */

	(void)id;
	/* pci_device_add() */
	virtfn->is_added = false;
	virtfn->driver_bound = false;
	co_await down_write(&pci_bus_sem);
	list_add_tail(&virtfn->bus_list, &dev->bus->devices);
	co_await up_write(&pci_bus_sem);
	/* pci_bus_add_device() */
	co_await device_attach(virtfn);
	virtfn->is_added = true;
	co_return 0;
}

/* pci_get_domain_bus_and_slot(): the VF if it is on the PF's bus */
static Co<pci_dev*> pci_get_virtfn(pci_dev* dev)
{
	pci_dev *virtfn = pci_dev_by_name("vf1"), *pos, *found = nullptr;

	co_await down_read(&pci_bus_sem);
	list_for_each_entry(pos, &dev->bus->devices, bus_list)
		if (pos == virtfn)
			found = pos;
	co_await up_read(&pci_bus_sem);
	co_return found;
}

static Co<void> pci_iov_remove_virtfn(pci_dev* dev, int id)
{
	(void)id;
	pci_dev* virtfn = co_await pci_get_virtfn(dev);
	if (!virtfn)
		co_return;
	co_await pci_stop_and_remove_bus_device(virtfn);
}

void iov_c(kernel_ops& k)
{
	k.sriov_numvfs_store = sriov_numvfs_store;
	k.pci_enable_sriov = pci_enable_sriov;
	k.pci_disable_sriov = pci_disable_sriov;
	k.sriov_add_vfs = sriov_add_vfs;
	k.sriov_del_vfs = sriov_del_vfs;
	k.pci_iov_add_virtfn = pci_iov_add_virtfn;
	k.pci_iov_remove_virtfn = pci_iov_remove_virtfn;
}

}  // namespace pcirig::mainline
