// Every modelled kernel function, by its kernel name. A call such as
// `co_await pci_dev_lock(dev)` goes through the run's variant: the function
// that variant (or its base era, or its base's base ... down to mainline)
// defines. So a variant is a patch: it names its base and replaces only the
// functions that differ (see docs/adding-a-variant.md).
#pragma once

#include "pcirig/model/co.h"
#include "pcirig/model/pci.h"

namespace pcirig::model {

// X(return type, kernel name, (parameters), (arguments))
#define PCIRIG_KERNEL_FUNCTIONS(X)                                                                       \
  /* drivers/pci/access.c */                                                                             \
  X(void, pci_wait_cfg, (pci_dev * dev), (dev))                                                          \
  X(int, pci_user_read_config_dword, (pci_dev * dev, int pos, u32* val), (dev, pos, val))                \
  X(int, pci_user_write_config_dword, (pci_dev * dev, int pos, u32 val), (dev, pos, val))                \
  X(void, pci_cfg_access_lock, (pci_dev * dev), (dev))                                                   \
  X(bool, pci_cfg_access_trylock, (pci_dev * dev), (dev))                                                \
  X(void, pci_cfg_access_unlock, (pci_dev * dev), (dev))                                                 \
  X(int, pci_bus_read_config_dword, (pci_dev * dev, int pos, u32* val), (dev, pos, val))                 \
  /* drivers/pci/pci.c */                                                                                \
  X(void, pci_dev_lock, (pci_dev * dev), (dev))                                                          \
  X(int, pci_dev_trylock, (pci_dev * dev), (dev))                                                        \
  X(void, pci_dev_unlock, (pci_dev * dev), (dev))                                                        \
  X(void, pci_dev_save_and_disable, (pci_dev * dev), (dev))                                              \
  X(int, __pci_reset_function_locked, (pci_dev * dev), (dev))                                            \
  X(int, pci_reset_function, (pci_dev * dev), (dev))                                                     \
  X(int, pci_try_reset_function, (pci_dev * dev), (dev))                                                 \
  X(int, pci_reset_hotplug_slot, (hotplug_slot * hotplug), (hotplug))                                    \
  X(int, pci_bridge_secondary_bus_reset, (pci_dev * dev), (dev))                                         \
  X(void, pci_bus_lock, (pci_bus * bus), (bus))                                                          \
  X(void, pci_bus_unlock, (pci_bus * bus), (bus))                                                        \
  X(void, pci_slot_lock, (pci_slot * slot), (slot))                                                      \
  X(void, pci_slot_unlock, (pci_slot * slot), (slot))                                                    \
  X(int, pci_bus_trylock, (pci_bus * bus), (bus))                                                        \
  X(int, pci_slot_trylock, (pci_slot * slot), (slot))                                                    \
  X(int, pci_reset_bus, (pci_dev * pdev), (pdev))                                                        \
  X(int, pci_slot_reset, (pci_slot * slot), (slot))                                                      \
  X(int, pci_bus_reset, (pci_bus * bus), (bus))                                                          \
  X(int, pci_bus_error_reset, (pci_dev * bridge), (bridge))                                              \
  /* drivers/pci/hotplug/pciehp_{hpc,ctrl,pci}.c */                                                      \
  X(int, pciehp_reset_slot, (hotplug_slot * hotplug), (hotplug))                                         \
  X(void, pciehp_ist, (controller * ctrl), (ctrl))                                                       \
  X(void, pciehp_unconfigure_device, (controller * ctrl, bool presence), (ctrl, presence))               \
  X(int, pciehp_configure_device, (controller * ctrl), (ctrl))                                           \
  /* drivers/pci/remove.c, bus.c, drivers/base/dd.c */                                                   \
  X(void, pci_stop_and_remove_bus_device, (pci_dev * dev), (dev))                                        \
  X(void, pci_bus_add_devices, (pci_bus * bus), (bus))                                                   \
  X(void, device_release_driver, (pci_dev * dev), (dev))                                                 \
  X(int, device_attach, (pci_dev * dev), (dev))                                                          \
  /* drivers/vfio/pci/vfio_pci_core.c, drivers/vfio/vfio_main.c */                                       \
  X(int, vfio_pci_ioctl_reset, (vfio_pci_core_device * vdev), (vdev))                                    \
  X(int, vfio_pci_ioctl_set_irqs, (vfio_pci_core_device * vdev), (vdev))                                 \
  X(int, vfio_pci_ioctl_pci_hot_reset, (vfio_pci_core_device * vdev), (vdev))                            \
  X(void, vfio_pci_core_close_device, (vfio_pci_core_device * vdev), (vdev))                             \
  X(void, vfio_pci_core_disable, (vfio_pci_core_device * vdev), (vdev))                                  \
  X(void, vfio_unregister_group_dev, (vfio_pci_core_device * vdev), (vdev))                              \
  X(void, vfio_pci_remove, (pci_dev * pdev), (pdev))                                                     \
  X(int, vfio_pci_core_sriov_configure, (vfio_pci_core_device * vdev, int nr_virtfn), (vdev, nr_virtfn))   \
  /* drivers/pci/iov.c */                                                                                \
  X(int, sriov_numvfs_store, (pci_dev * pdev, int num_vfs), (pdev, num_vfs))                             \
  X(int, pci_enable_sriov, (pci_dev * dev, int nr_virtfn), (dev, nr_virtfn))                             \
  X(void, pci_disable_sriov, (pci_dev * dev), (dev))                                                     \
  X(int, sriov_add_vfs, (pci_dev * dev, int num_vfs), (dev, num_vfs))                                    \
  X(void, sriov_del_vfs, (pci_dev * dev), (dev))                                                         \
  X(int, pci_iov_add_virtfn, (pci_dev * dev, int id), (dev, id))                                         \
  X(void, pci_iov_remove_virtfn, (pci_dev * dev, int id), (dev, id))                                     \
  /* drivers/pci/msi/msi.c */                                                                            \
  X(int, pci_enable_msi, (pci_dev * dev), (dev))

// The table a variant fills: one pointer per modelled function, nullptr =
// "as in the base era". Fill it with designated initializers:
//   .ops = {.pci_cfg_access_unlock = pci_cfg_access_unlock}
struct kernel_ops {
#define PCIRIG_KOPS_MEMBER(ret, name, params, args) Co<ret>(*name) params = nullptr;
  PCIRIG_KERNEL_FUNCTIONS(PCIRIG_KOPS_MEMBER)
#undef PCIRIG_KOPS_MEMBER
};

// The resolved table of the current run's variant (every pointer set).
const kernel_ops& kernel() noexcept;

// The dispatchers: `pci_dev_lock(dev)` calls the run's pci_dev_lock.
#define PCIRIG_KOPS_DISPATCH(ret, name, params, args) \
  inline Co<ret> name params { return kernel().name args; }
PCIRIG_KERNEL_FUNCTIONS(PCIRIG_KOPS_DISPATCH)
#undef PCIRIG_KOPS_DISPATCH

}  // namespace pcirig::model
