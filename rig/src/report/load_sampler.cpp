#include "report/load_sampler.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "util/clock.hpp"

namespace pcirig {

LoadSample read_loadavg() {
  LoadSample s;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    double l15;
    int total;
    if (std::fscanf(f, "%lf %lf %lf %d/%d", &s.load1, &s.load5, &l15, &s.running, &total) < 2) s = {};
    std::fclose(f);
  }
  return s;
}

void LoadSampler::start() { tick(); }

void LoadSampler::tick() {
  if (stopped_) return;
  LoadSample s = read_loadavg();
  last1_ = s.load1;
  max1_ = std::max(max1_, s.load1);
  if (log_)
    log_->json_line(nlohmann::json{{"t", std::round((mono_seconds() - t0_) * 1000) / 1000}, {"load1", s.load1},
                                   {"load5", s.load5}, {"running", s.running},
                                   {"cores", std::thread::hardware_concurrency()}});
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}
}  // namespace pcirig
