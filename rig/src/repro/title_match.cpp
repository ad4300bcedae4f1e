#include "repro/title_match.hpp"

namespace pcirig {

std::string variant_family(const std::string& kind) {
  if (kind == "null_deref" || kind == "paging" || kind == "gpf") return "memory-fault";
  return "";
}

MatchVerdict match_crash(const CrashSignature& original, const std::optional<CrashSignature>& replay) {
  if (!replay) return {"no-crash", false};
  if (replay->corrupted) return {"corrupted-report", false};
  if (replay->title == original.title) return {"exact-title", true};
  std::string fam = variant_family(original.kind);
  if (!fam.empty() && fam == variant_family(replay->kind) && !original.function.empty() &&
      replay->function == original.function)
    return {"same-function-variant", true};
  return {"different-crash", false};
}
}  // namespace pcirig
