#include "repro/repro_command.hpp"

#include <fmt/format.h>

#include "repro/minimize.hpp"
#include "repro/repro_report.hpp"
#include "util/line_log.hpp"

namespace fs = std::filesystem;
namespace pcirig {

int run_repro(ReproRequest req, nlohmann::json* verdict) {
  ReproSource src = load_repro_source(req.path);
  if (!src.crash)
    throw ReproInputError(fmt::format("{}: the run did not crash (result: {}): nothing to reproduce",
                                      (req.path / "result.json").string(), src.original.value("result", "?")));
  ReproOptions& o = req.options;
  if (o.attempts < 1) throw std::runtime_error("--attempts: at least 1");
  if (!req.time_limit_given) o.time_limit_s = std::max(60.0, 2 * src.original_seconds_to_crash);
  // --kernel: the same crash on another kernel (a patched tree, say); never an exact replay.
  ResolvedKernel k = req.kernel.empty() ? resolve_repro_kernel(src)
                                        : ResolvedKernel{find_kernel_image(req.kernel, true), false, "--kernel"};
  fmt::print("pcirig repro: {} ({}): {}\n", src.dir.string(), src.is_bundle ? "bundle" : "run directory",
             src.crash->title);
  fmt::print("  seed {}  kernel {} ({}{})  {} replayed hot-plug decisions  {} attempt(s), {} at once, {:.0f} s each at most\n",
             src.seed, k.image.name, k.from, k.exact ? "" : ", NOT the run's", o.follow_journal ? src.replay.size() : 0,
             o.attempts, std::max(1, std::min(o.parallel, o.attempts)), o.time_limit_s);
  std::fflush(stdout);
  ReproOutcome out = run_attempts(src, k.image, reproducer_of(src), o);
  ReproRun run{&src, &k, &o, &out};
  fmt::print("{}", repro_summary(run));
  nlohmann::json j = repro_json(run);
  if (req.minimize && out.exit_code() == 0) {
    fmt::print("  minimizing: {} attempt(s) per step, each kept at {:.0f}% or better\n", req.minimize_attempts, 100 * out.rate());
    MinimizeResult m = minimize_reproducer(src, k.image, o, out, req.minimize_attempts);
    fmt::print("  minimized: {}\n         to {}\n  bundle: {}\n", m.original.describe(), m.minimized.describe(),
               m.bundle.empty() ? std::string("(none)") : m.bundle.string());
    j["minimize"] = m.to_json();
  } else if (req.minimize) {
    fmt::print("  not minimizing: the crash did not come back\n");
  }
  if (!req.json_out.empty()) {
    if (write_file(req.json_out, j.dump(2) + "\n") != 0) throw std::runtime_error("cannot write " + req.json_out);
  }
  if (verdict) *verdict = j;
  return out.exit_code();
}
}  // namespace pcirig
