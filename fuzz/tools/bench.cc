// placeholder until bench is written
#include "tools/bench.h"
namespace pcirig::tools { int run_bench(const BenchOptions&) { return 2; } }
