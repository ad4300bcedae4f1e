// A small inline SVG line chart: one value per run over campaign time, a red mark on the
// runs that crashed. No scripts, no external files: the page stays self-contained.
#pragma once
#include <string>
#include <vector>

namespace pcirig {
struct ChartPoint {
  double t_min = 0, value = 0;
  bool crash = false;
  std::string label;  // tooltip
};
std::string svg_chart(const std::string& id, const std::string& title, const std::string& unit,
                      const std::vector<ChartPoint>& points);
}  // namespace pcirig
