// The median of a sample (the mean of the middle two when even), or
// if_empty for none: the benchmarks' and reports' one definition.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace pcirig {

inline double median(std::vector<double> v, double if_empty = -1) {
  if (v.empty()) return if_empty;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace pcirig
