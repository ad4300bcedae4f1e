#include "campaign/campaign_status.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/duration.hpp"

namespace pcirig {

std::string short_title(const std::string& title, std::size_t max) {
  if (title.size() <= max) return title;
  // The function a report is "in" names it best: keep it, cut the words before it.
  std::size_t in = title.rfind(" in ");
  std::string tail = in == std::string::npos ? "" : title.substr(in);
  if (tail.size() + 8 > max) tail.clear();  // no room left for the head
  std::size_t room = max - tail.size() - 3;  // "..."
  std::string head = title.substr(0, room);
  if (std::size_t sp = head.rfind(' '); sp != std::string::npos && sp > room / 2) head.resize(sp + 1);
  return head + "..." + tail;
}

std::string format_campaign_status(const CampaignStatus& s) {
  std::string crashes;
  for (auto& [title, n] : s.crashes) crashes += fmt::format(" | {}x {}", n, short_title(title, 48));
  return fmt::format("[nightly] {} done, {} running, {} queued{}{}", s.done, s.running, s.queued,
                     s.left_s ? " this round, " + format_duration(std::max(0.0, *s.left_s)) + " left" : "",
                     crashes.empty() ? " | no crashes" : crashes);
}
}  // namespace pcirig
