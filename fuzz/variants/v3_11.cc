// Before 61cf16d8bd38 "PCI: Add pci_try_reset_function(), ..." (v3.12):
// v3.6 .. v3.11. vfio's VFIO_DEVICE_RESET goes through pci_reset_function(),
// which sleeps on device_lock. Unbinding vfio-pci holds that device_lock in
// the driver core while vfio_pci_remove() -> vfio_del_group_dev() waits for
// the user to close the device; the user's close waits for its reset ioctl
// to return (the ioctl holds the file): a hung task. 61cf16d8bd38 made the
// ioctl use trylocks and return -EAGAIN. The era also has v2.6.20's
// pci_lock -> pi_lock inversion (its base).
#include "pcirig/model/kernel.h"

namespace pcirig::variants::v3_11 {
using namespace pcirig::model;

static Co<int> vfio_pci_ioctl_reset(vfio_pci_core_device* vdev)
{
	if (!vdev->reset_works)
		co_return -EINVAL;
	co_return co_await pci_reset_function(vdev->pdev);
}

/* drivers/vfio/vfio.c: wait_event(vfio.release_q, !vfio_dev_present(...)) */
static Co<void> vfio_del_group_dev(vfio_pci_core_device* vdev)
{
	vfio_device_request(vdev);
	co_await wait_event(vdev->release_q, !co_await READ_ONCE(vdev->open_count));
}

PCIRIG_REGISTER_VARIANT(v3_11, Variant{
	"v3.11", "v2.6.20", "before 61cf16d8bd38", "v3.6 .. v3.11",
	"hung-task|lock-inversion|deadlock",
	"vfio reset sleeps on device_lock held by vfio-pci's unbind, which waits for the fd",
	{.vfio_pci_ioctl_reset = vfio_pci_ioctl_reset, .vfio_unregister_group_dev = vfio_del_group_dev},
	"try_reset:ep1;unbind:ep1;config_read:ep1"});

}  // namespace pcirig::variants::v3_11
