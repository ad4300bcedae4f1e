#include "report/input_journal.hpp"

namespace pcirig {

void InputJournal::note(const nlohmann::json& detail) {
  const std::string ch = detail.value("ch", "?");
  int& n = journaled_[ch];
  if (n > kMaxPerChannel) return;
  if (n++ == kMaxPerChannel) {
    run_.journal("input_journal_full", {{"ch", ch}, {"journaled", kMaxPerChannel}});
    return;
  }
  nlohmann::json fields = detail;
  const std::string kind = fields.value("kind", "protocol_error");
  fields.erase("kind");
  run_.journal(kind, fields);
}
}  // namespace pcirig
