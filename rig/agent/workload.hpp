// The running workload: one thread per worker the spec asks for. Starting a
// new spec stops the old threads first; counters stay cumulative.
#pragma once
#include <memory>
#include <thread>
#include <vector>

#include "worker_context.hpp"

namespace pcirig::agent {

// Worker roles, also the `role` in each thread's PRNG stream.
enum class Role : std::uint32_t { reader = 1, resetter = 2, remove_rescan = 3, rebinder = 4, vfio = 5 };

class Workload {
 public:
  Workload(SysfsRoot root, DeviceBoard& board, Counters& counters, std::optional<std::string> agent_bdf,
           ErrorNotes* notes = nullptr)
      : root_(std::move(root)), board_(board), counters_(counters), agent_bdf_(std::move(agent_bdf)), notes_(notes) {}
  ~Workload() { stop(); }

  // Workers of a stopped load: joining them may take long (a worker can sit in
  // a sysfs write the kernel is slow to finish), so the caller chooses where.
  struct Retired {
    std::unique_ptr<WorkerContext> ctx;
    std::vector<std::jthread> threads;
    void join() { threads.clear(); ctx.reset(); }  // jthread joins on destruction
  };

  // Starts `spec`'s workers; the previous ones are stopped and returned.
  Retired start(const WorkloadSpec& spec);
  // Asks every worker to stop and hands them over without waiting.
  Retired retire();
  void stop() { retire().join(); }
  bool running() const { return !threads_.empty(); }

 private:
  SysfsRoot root_;
  DeviceBoard& board_;
  Counters& counters_;
  std::optional<std::string> agent_bdf_;
  ErrorNotes* notes_;
  std::unique_ptr<WorkerContext> ctx_;
  std::vector<std::jthread> threads_;
};

}  // namespace pcirig::agent
