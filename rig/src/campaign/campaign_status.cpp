#include "campaign/campaign_status.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/duration.hpp"

namespace pcirig {

std::string format_campaign_status(const CampaignStatus& s) {
  std::string crashes;
  for (auto& [title, n] : s.crashes) crashes += fmt::format(" | {}x {}", n, title.substr(0, 40));
  return fmt::format("[nightly] {} done, {} running, {} queued{}{}", s.done, s.running, s.queued,
                     s.left_s ? " this round, " + format_duration(std::max(0.0, *s.left_s)) + " left" : "",
                     crashes.empty() ? " | no crashes" : crashes);
}
}  // namespace pcirig
