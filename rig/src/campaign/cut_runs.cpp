#include "campaign/cut_runs.hpp"

#include <nlohmann/json.hpp>

#include "campaign/ledger.hpp"
#include "util/clock.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

int mark_cut_runs(const fs::path& runs_dir, const std::set<std::string>& finished) {
  int n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory() || finished.count(it->path().filename().string())) continue;
    fs::path rj = it->path() / "result.json";
    auto r = nlohmann::json::parse(read_file_text(rj), nullptr, false);
    if (!r.is_object() || r.value("result", "") != "running") continue;
    r["result"] = "cut";
    r["end_cause"] = "orchestrator_gone";
    r["why"] = "the campaign's process ended (kill -9, a crash or a reboot) while this run ran: it has no ledger "
               "line, so --resume ran its cell again with the same seed";
    r["found_cut"] = utc_iso8601();
    if (write_file_durably(rj, r.dump(2) + "\n") == 0) n++;
  }
  return n;
}

}  // namespace pcirig
