// The registry of variants (filled by PCIRIG_REGISTER_VARIANT at start-up).
#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "pcirig/model/variant.h"

namespace pcirig::model {
namespace {
std::map<std::string, Variant>& registry() {
  static std::map<std::string, Variant> r;
  return r;
}
}  // namespace

VariantRegistrar::VariantRegistrar(const Variant& v) { registry().emplace(v.name, v); }

const Variant* find_variant(std::string_view name) {
  auto it = registry().find(std::string(name));
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<const Variant*> all_variants() {
  std::vector<const Variant*> v;
  for (auto& [k, x] : registry()) v.push_back(&x);
  return v;
}

const char* kind_name(ReportKind k) noexcept {
  switch (k) {
    case ReportKind::list_corruption: return "list-corruption";
    case ReportKind::use_after_return: return "use-after-return";
    case ReportKind::hung_task: return "hung-task";
    case ReportKind::deadlock: return "deadlock";
    case ReportKind::lock_inversion: return "lock-inversion";
    case ReportKind::atomic_sleep: return "atomic-sleep";
    case ReportKind::warn: return "warn";
    case ReportKind::data_race: return "data-race";
    case ReportKind::protocol: return "protocol";
    case ReportKind::bad_unlock: return "bad-unlock";
  }
  return "?";
}

}  // namespace pcirig::model
