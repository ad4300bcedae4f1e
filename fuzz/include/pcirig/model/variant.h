// The public API of a variant: one kernel era (or candidate patch) of the
// PCI locking state machine. A variant is one .cc file in fuzz/variants/:
// it names its base era and replaces only the modelled functions that differ
// (kernel_ops.h). `mainline` (fuzz/mainline/) is the root: today's shape of
// every modelled function, the clean reference. The engine, schedulers,
// tools and fuzz targets pick a variant up by name (docs/adding-a-variant.md).
#pragma once

#include <string_view>
#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/kernel_ops.h"
#include "pcirig/model/pci.h"

namespace pcirig::model {

struct Variant {
  const char* name;       // selects it: --variant v4.10
  const char* base;       // the era it patches ("mainline", "v5.9", ...); nullptr only for mainline
  const char* commit;     // "cdcb33f98244" or "proposal"
  const char* kernels;    // "v4.10 .. v5.8"
  const char* expected;   // expected report kind(s), "|"-separated, or "none"
  const char* summary;    // one line for list-variants
  kernel_ops ops;         // the functions this variant replaces; the rest come from `base`
  // The scenario bench and `dfs` explore by default (3 tasks: it should
  // reach the era's bug); nullptr: the access.c one
  // ("reset:0,reset:0;config_read:0;config_read:0,perf_read:0:1").
  const char* scenario = nullptr;
};

// The resolved variant: `ops` has every function (own, else the base's).
const Variant* find_variant(std::string_view name);
std::vector<const Variant*> all_variants();  // sorted by name
// The functions `v` itself replaces (by kernel name), for list-variants.
std::vector<const char*> own_functions(const Variant& v);

// Static registration: PCIRIG_REGISTER_VARIANT(v4_10, Variant{...});
struct VariantRegistrar {
  explicit VariantRegistrar(const Variant& v);
};
#define PCIRIG_REGISTER_VARIANT(id, ...) \
  static const ::pcirig::model::VariantRegistrar pcirig_variant_##id{__VA_ARGS__}

}  // namespace pcirig::model
