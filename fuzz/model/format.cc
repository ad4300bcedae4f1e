// The per-task timeline (one column per task, kernel function names) and
// the report that ends it.
#include <cstdio>
#include <cstring>

#include "pcirig/model/run.h"
#include "model/internal.h"

namespace pcirig::model {

static std::string point_text(const Point& p) {
  std::string fn = std::strcmp(p.fn, "operator()") == 0 ? "wait_event cond" : p.fn;
  std::string s = fn + ": " + p.op;
  if (p.obj) s += std::string("(") + p.obj + ")";
  return s;
}

std::string format_timeline(const RunResult& r) {
  const int n = static_cast<int>(r.scenario.tasks.size());
  constexpr int W = 46;
  std::string out;
  char buf[64];
  out += " step ";
  for (int t = 0; t < n; ++t) {
    std::string h = "T" + std::to_string(t) + ":";
    for (auto& c : r.scenario.tasks[t]) h += std::string(" ") + call_name(c.call) + "(" + pci_dev_name(c.dev) + ")";
    if (static_cast<int>(h.size()) > W - 1) h.resize(W - 1);
    h.resize(W, ' ');
    out += h;
  }
  out += "\n";
  for (const TraceEntry& e : r.trace) {
    std::snprintf(buf, sizeof buf, "%5u ", e.step);
    out += buf;
    out += std::string(static_cast<std::size_t>(e.task) * W, ' ');
    out += std::string(e.depth > 1 ? e.depth - 1 : 0, ' ') + point_text(e.p);
    out += "\n";
  }
  // Tasks that never finished: where they are stuck (not executed).
  for (const TraceEntry& e : r.blocked) {
    out += "  ... ";
    out += std::string(static_cast<std::size_t>(e.task) * W, ' ');
    bool reporter = r.has_report && r.report.task == e.task;
    out += std::string(e.depth > 1 ? e.depth - 1 : 0, ' ') + point_text(e.p) +
           (reporter ? "  <- the report\n" : "  <- parked here\n");
  }
  return out;
}

std::string format_report(const RunResult& r) {
  std::string out;
  if (!r.has_report) {
    out += "no report (" + std::to_string(r.steps) + " steps" + (r.step_bound_hit ? ", step bound hit" : "") + ")\n";
    return out;
  }
  out += "------------[ report ]------------\n";
  out += "kind:  " + std::string(kind_name(r.report.kind)) + "\n";
  out += "title: " + r.report.title + "\n";
  out += "task:  T" + std::to_string(r.report.task) + ", step " + std::to_string(r.report.step) + "\n\n";
  out += r.report.body + "\n";
  return out;
}

}  // namespace pcirig::model
