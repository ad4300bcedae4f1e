// Did a replay bring the original crash back? Named rules, first that applies wins:
//   exact-title             the same title.
//   same-function-variant   another report kind in the same crashing function, when
//                           the original's family allows variants. Only the memory-fault
//                           family does: under TCG the interleaving is not replayed, and
//                           what a stale pointer holds decides whether the same bug shows
//                           as a NULL dereference, a paging fault or a GPF (the 2019
//                           __wake_up_common <- pci_cfg_access_unlock panic showed all three).
//   corrupted-report        a report cut short or without a usable frame: not a match.
//   different-crash         another crash: reported as such, never as a success.
//   no-crash                the attempt ran its time out clean.
#pragma once
#include <optional>
#include <string>

#include "repro/repro_source.hpp"

namespace pcirig {

struct MatchVerdict {
  std::string rule;
  bool reproduced = false;
};

// The family of report kinds whose members count as variants of one another, or "".
std::string variant_family(const std::string& kind);
MatchVerdict match_crash(const CrashSignature& original, const std::optional<CrashSignature>& replay);
}  // namespace pcirig
