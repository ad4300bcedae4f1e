// drivers/pci/msi/msi.c: enabling MSI sets dev->msi_enabled, a bit in the
// word block_cfg_access shares (a plain read-modify-write of that word).
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::mainline {
using namespace pcirig::model;

static Co<int> pci_enable_msi(pci_dev* dev)
{
	u32 ctrl;

	if (bool enabled = co_await READ(dev->msi_enabled))
		co_return -EINVAL;
	/* msi_capability_init(): read the capability, then enable */
	co_await pci_bus_read_config_dword(dev, 0x50, &ctrl);
	co_await WRITE(dev->msi_enabled, 1);
	co_return 0;
}

void msi_c(kernel_ops& k)
{
	k.pci_enable_msi = pci_enable_msi;
}

}  // namespace pcirig::mainline
