#include "campaign/usage_sampler.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;
namespace pcirig {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Children of every thread of PID (a child belongs to the thread that forked it).
std::vector<int> children_of(int pid) {
  std::vector<int> out;
  std::error_code ec;
  for (auto& task : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task", ec)) {
    std::istringstream in(slurp(task.path() / "children"));
    for (int c; in >> c;) out.push_back(c);
  }
  return out;
}

double self_rss_mb() {
  std::istringstream in(slurp("/proc/self/statm"));
  long size = 0, resident = 0;
  in >> size >> resident;
  return double(resident) * double(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}
}  // namespace

std::optional<ProcStat> parse_proc_stat(const std::string& line) {
  size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat s;
  try {
    s.pid = std::stoi(line.substr(0, open));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  s.comm = line.substr(open + 1, close - open - 1);
  // After the name: field 3 (state) onwards, space separated.
  std::istringstream in(line.substr(close + 1));
  std::vector<std::string> f;
  for (std::string x; in >> x;) f.push_back(x);
  // f[0] is field 3; utime 14, stime 15, starttime 22, rss 24 (man 5 proc).
  if (f.size() < 22) return std::nullopt;
  try {
    static const double tick = double(::sysconf(_SC_CLK_TCK));
    static const double page_mb = double(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
    s.ppid = std::stoi(f[1]);
    s.cpu_s = double(std::stoull(f[11]) + std::stoull(f[12])) / tick;
    s.start = std::stoull(f[19]);
    s.rss_mb = double(std::stoll(f[21])) * page_mb;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return s;
}

ProcRole proc_role(const std::string& comm, const std::string& cmdline) {
  if (comm.starts_with("qemu-system")) return ProcRole::guest;
  if (comm == "pcirig-model") return ProcRole::model;
  // fuzz.sh (bash) and the libFuzzer binaries it starts: argv holds the script's path.
  std::string argv = cmdline;
  for (char& c : argv)
    if (c == '\0') c = ' ';
  if (argv.find("fuzz/scripts/fuzz.sh") != std::string::npos) return ProcRole::model;
  return ProcRole::helper;
}

UsageSample UsageSampler::sample(double t) {
  UsageSample s;
  s.t = t;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  s.self_cpu_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  s.self_rss_mb = self_rss_mb();
  std::map<int, Seen> now;
  std::vector<int> todo = children_of(int(::getpid()));
  std::set<int> visited;
  while (!todo.empty()) {
    int pid = todo.back();
    todo.pop_back();
    if (!visited.insert(pid).second) continue;
    fs::path dir = fs::path("/proc") / std::to_string(pid);
    auto st = parse_proc_stat(slurp(dir / "stat"));
    if (!st) continue;  // gone since its parent listed it
    switch (proc_role(st->comm, slurp(dir / "cmdline"))) {
      case ProcRole::guest: s.guests++; continue;
      case ProcRole::model: s.models++; continue;
      case ProcRole::helper: break;
    }
    s.helpers++;
    s.helpers_rss_mb += st->rss_mb;
    // CPU since the last look; a helper first seen now brings all it used so far.
    auto it = seen_.find(pid);
    double before = it != seen_.end() && it->second.start == st->start ? it->second.cpu_s : 0;
    helpers_cpu_s_ += std::max(0.0, st->cpu_s - before);
    now[pid] = {st->start, st->cpu_s};
    for (int c : children_of(pid)) todo.push_back(c);
  }
  seen_ = std::move(now);
  s.helpers_cpu_s = helpers_cpu_s_;
  return s;
}
}  // namespace pcirig
