// The nightly campaign's live status line (stderr, on a terminal only): runs done,
// running and queued, time left, crashes so far by title.
#pragma once
#include <map>
#include <optional>
#include <string>

namespace pcirig {

struct CampaignStatus {
  int done = 0, running = 0;
  int queued = 0;                     // runs of the round not started yet (with --hours: of the current round)
  std::optional<double> left_s;       // --hours: run time left; none: a campaign of one round
  std::map<std::string, int> crashes; // title -> runs that hit it
};

// "[nightly] 3 done, 2 running, 5 queued | 2x TITLE | 1x TITLE" (titles shortened to
// 48 characters, in title order; "| no crashes" when none); with --hours "5 queued
// this round, 7m10s left".
std::string format_campaign_status(const CampaignStatus& s);

// At most `max` characters (max >= 16): a longer title loses words from the middle
// ("...") and keeps its " in FUNC" when that fits.
std::string short_title(const std::string& title, std::size_t max);
}  // namespace pcirig
