// Host load, sampled every second into loadavg.jsonl: a soft lockup or RCU stall while
// the host's load is far above its cores says "overloaded host", not "kernel bug".
#pragma once
#include <boost/asio.hpp>

#include "util/line_log.hpp"

namespace pcirig {
namespace asio = boost::asio;

struct LoadSample {
  double load1 = 0, load5 = 0;
  int running = 0;
};
LoadSample read_loadavg();

class LoadSampler {
 public:
  LoadSampler(asio::any_io_executor ex, LineLog* log, double t0) : timer_(ex), log_(log), t0_(t0) {}
  void start();
  void stop() { stopped_ = true; timer_.cancel(); }
  double max_load1() const { return max1_; }
  double last_load1() const { return last1_; }

 private:
  void tick();
  asio::steady_timer timer_;
  LineLog* log_;
  double t0_, max1_ = 0, last1_ = 0;
  bool stopped_ = false;
};
}  // namespace pcirig
