// The registry of variants (filled by PCIRIG_REGISTER_VARIANT at start-up).
// Resolution happens on first lookup, once every static registrar ran: each
// variant's table is its own functions over its base's resolved table.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "pcirig/model/variant.h"

namespace pcirig::model {
namespace {

struct Entry {
  Variant own;       // as registered
  Variant resolved;  // ops filled from the base chain
  int state = 0;     // 0 unresolved, 1 resolving, 2 done
};

std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> r;
  return r;
}

void overlay(kernel_ops& into, const kernel_ops& own) {
#define PCIRIG_KOPS_OVERLAY(ret, name, params, args) \
  if (own.name) into.name = own.name;
  PCIRIG_KERNEL_FUNCTIONS(PCIRIG_KOPS_OVERLAY)
#undef PCIRIG_KOPS_OVERLAY
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "pcirig model: %s\n", msg.c_str());
  std::abort();
}

const Variant& resolve(Entry& e) {
  if (e.state == 2) return e.resolved;
  if (e.state == 1) die(std::string("variant '") + e.own.name + "': its base chain loops");
  e.state = 1;
  e.resolved = e.own;
  if (e.own.base) {
    auto it = registry().find(e.own.base);
    if (it == registry().end())
      die(std::string("variant '") + e.own.name + "' names base '" + e.own.base + "', which is not registered");
    e.resolved.ops = resolve(it->second).ops;
    overlay(e.resolved.ops, e.own.ops);
  }
#define PCIRIG_KOPS_CHECK(ret, fn, params, args) \
  if (!e.resolved.ops.fn) die(std::string("variant '") + e.own.name + "' has no " #fn " (nor has its base chain)");
  PCIRIG_KERNEL_FUNCTIONS(PCIRIG_KOPS_CHECK)
#undef PCIRIG_KOPS_CHECK
  e.state = 2;
  return e.resolved;
}

}  // namespace

VariantRegistrar::VariantRegistrar(const Variant& v) {
  if (!registry().emplace(v.name, Entry{v, v, 0}).second) die(std::string("variant '") + v.name + "' registered twice");
}

const Variant* find_variant(std::string_view name) {
  auto it = registry().find(std::string(name));
  return it == registry().end() ? nullptr : &resolve(it->second);
}

std::vector<const Variant*> all_variants() {
  std::vector<const Variant*> v;
  for (auto& [k, e] : registry()) v.push_back(&resolve(e));
  return v;
}

std::vector<const char*> own_functions(const Variant& v) {
  std::vector<const char*> out;
  auto it = registry().find(v.name);
  if (it == registry().end()) return out;
  const kernel_ops& own = it->second.own.ops;
#define PCIRIG_KOPS_NAME(ret, name, params, args) \
  if (own.name) out.push_back(#name);
  PCIRIG_KERNEL_FUNCTIONS(PCIRIG_KOPS_NAME)
#undef PCIRIG_KOPS_NAME
  return out;
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
    case ReportKind::bug: return "bug";
  }
  return "?";
}

}  // namespace pcirig::model
