// The public API a variant implements: one kernel era of the config-access
// locking in drivers/pci/access.c. A variant is one .cc file in fuzz/variants/
// that fills a Variant and registers it; the engine, schedulers, tools and
// fuzz targets pick it up by name (see docs/adding-a-variant.md).
#pragma once

#include <string_view>
#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/pci.h"

namespace pcirig::model {

// The functions that differ between eras. Callers (pci_dev_lock, reset,
// sysfs, vfio, perf, MSI) are shared and call through these.
struct pci_cfg_access_ops {
  Co<int> (*pci_user_read_config_dword)(pci_dev* dev, int where, u32* val);
  Co<int> (*pci_user_write_config_dword)(pci_dev* dev, int where, u32 val);
  Co<void> (*pci_cfg_access_lock)(pci_dev* dev);
  Co<bool> (*pci_cfg_access_trylock)(pci_dev* dev);
  Co<void> (*pci_cfg_access_unlock)(pci_dev* dev);
  Co<int> (*pci_bus_read_config_dword)(pci_dev* dev, int where, u32* val);  // kernel (atomic-safe) path
};

struct Variant {
  const char* name;       // selects it: --variant v4.10
  const char* commit;     // "cdcb33f98244" or "proposal"
  const char* kernels;    // "v4.10 .. v5.8"
  const char* expected;   // expected report kind(s), "|"-separated, or "none"
  const char* summary;    // one line for list-variants
  pci_cfg_access_ops ops;
};

const Variant* find_variant(std::string_view name);
std::vector<const Variant*> all_variants();  // sorted by name

// Static registration: PCIRIG_REGISTER_VARIANT(v4_10, Variant{...});
struct VariantRegistrar {
  explicit VariantRegistrar(const Variant& v);
};
#define PCIRIG_REGISTER_VARIANT(id, ...) \
  static const ::pcirig::model::VariantRegistrar pcirig_variant_##id{__VA_ARGS__}

// The variant the current run uses (set by the engine).
const pci_cfg_access_ops& pci_access();

}  // namespace pcirig::model
