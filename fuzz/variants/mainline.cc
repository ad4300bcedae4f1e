// Today's mainline shape of every modelled function (fuzz/mainline/), the
// clean reference and the root every other variant patches.
#include "mainline/mainline.h"
#include "pcirig/model/kernel.h"

namespace pcirig::variants::mainline_ {
using namespace pcirig::model;

static kernel_ops mainline_ops()
{
	kernel_ops k;

	pcirig::mainline::access_c(k);
	pcirig::mainline::pci_c(k);
	pcirig::mainline::pciehp_c(k);
	pcirig::mainline::remove_c(k);
	pcirig::mainline::vfio_pci_core_c(k);
	pcirig::mainline::msi_c(k);
	pcirig::mainline::iov_c(k);
	return k;
}

PCIRIG_REGISTER_VARIANT(mainline, Variant{
	"mainline", nullptr, "v6.12", "v6.11 and later",
	"none",
	"today's shape of every modelled path: the clean reference",
	mainline_ops(),
	"pciehp_event:rp0;vfio_close:ep1;aer_reset:rp1"});

}  // namespace pcirig::variants::mainline_
