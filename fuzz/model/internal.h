// Engine internals shared by the model's .cc files (not part of the variant API).
#pragma once

#include <span>
#include <string>

#include "pcirig/model/engine.h"
#include "pcirig/model/sched.h"

namespace pcirig::model {

struct pci_dev;

void arena_reset() noexcept;
void lockdep_reset() noexcept;
void kcsan_reset() noexcept;
void pci_reset_globals(int ndevs);

// Tasks of the current run.
std::span<task_struct> run_tasks_view() noexcept;
task_struct* task_by_id(int id) noexcept;
pci_dev* pci_dev_by_id(int id) noexcept;
int run_ndevs() noexcept;
const char* pci_dev_name(int id) noexcept;  // "ep1"

// Record a report without unwinding (engine context); oops() = this + throw.
void record_report(ReportKind kind, std::string title, std::string body, const task_struct* t);

// "T1/101"
std::string task_tag(const task_struct* t);

// Search features for World::feature_hook (features.cc): lock-order pairs at
// each acquire, wait-for edges after each step. No-ops without a hook.
struct lock_base;
void feature_lock_order(const lock_base* l, int mode, bool trylock);
void feature_wait_for(std::span<const task_struct> tasks);

}  // namespace pcirig::model
