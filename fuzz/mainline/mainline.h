// The mainline variant's functions, one fill function per kernel source
// file (fuzz/mainline/*.cc). Inside those files a modelled function is
// defined below its callers: a call to a function already defined above
// would bind to it directly and bypass a variant's override.
#pragma once

#include "pcirig/model/kernel_ops.h"

namespace pcirig::mainline {

void access_c(model::kernel_ops& k);
void pci_c(model::kernel_ops& k);
void pciehp_c(model::kernel_ops& k);
void remove_c(model::kernel_ops& k);
void vfio_pci_core_c(model::kernel_ops& k);
void msi_c(model::kernel_ops& k);
void iov_c(model::kernel_ops& k);

}  // namespace pcirig::mainline
