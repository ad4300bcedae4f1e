// Journals what the readers refused or cut (protocol errors, cut lines, late replies):
// the first kMaxPerChannel of each channel, then one input_journal_full line; the
// counts in result.json cover all of them. A guest that floods bad lines cannot
// flood the journal.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "report/run_dir.hpp"

namespace pcirig {

class InputJournal {
 public:
  static constexpr int kMaxPerChannel = 20;
  explicit InputJournal(RunDir& run) : run_(run) {}
  // detail: {"ch", "kind", ...} from a reader's on_input_problem; "kind" becomes the event.
  void note(const nlohmann::json& detail);

 private:
  RunDir& run_;
  std::map<std::string, int> journaled_;
};
}  // namespace pcirig
