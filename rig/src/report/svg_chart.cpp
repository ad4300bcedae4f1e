#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/xml_escape.hpp"

namespace pcirig {

std::string svg_chart(const std::string& id, const std::string& title, const std::string& unit,
                      const std::vector<ChartPoint>& points) {
  const double W = 640, H = 220, L = 60, R = 15, T = 25, B = 35;  // plot area margins
  double tmax = 1, vmax = 0;
  for (auto& p : points) tmax = std::max(tmax, p.t_min), vmax = std::max(vmax, p.value);
  if (vmax <= 0) vmax = 1;
  // A round top for the axis: 1, 2 or 5 times a power of ten.
  double mag = std::pow(10, std::floor(std::log10(vmax)));
  double top = vmax <= mag ? mag : vmax <= 2 * mag ? 2 * mag : vmax <= 5 * mag ? 5 * mag : 10 * mag;
  auto x = [&](double t) { return L + (W - L - R) * t / tmax; };
  auto y = [&](double v) { return H - B - (H - T - B) * v / top; };
  std::string s = fmt::format(
      "<svg id=\"{}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"{}\">\n<text x=\"{}\" y=\"16\" class=\"ct\">{} ({})</text>\n",
      id, W, H, W, H, xml_escape(title), L, xml_escape(title), xml_escape(unit));
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" class=\"axis\"/>"
                   "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" class=\"axis\"/>\n",
                   L, H - B, W - R, T);
  for (int i = 0; i <= 4; i++) {
    double v = top * i / 4;
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{:g}</text>", L - 5, y(v) + 4, v);
    double t = tmax * i / 4;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>", x(t), H - B + 15,
                     tmax < 10 ? fmt::format("{:.1f}", t) : fmt::format("{:.0f}", t));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">minutes into the campaign</text>\n",
                   (L + W - R) / 2, H - 4);
  if (points.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">no runs yet</text>\n", (L + W) / 2, H / 2);
    return s + "</svg>\n";
  }
  std::string line;
  for (auto& p : points) line += fmt::format("{:.1f},{:.1f} ", x(p.t_min), y(p.value));
  s += fmt::format("<polyline class=\"series\" points=\"{}\"/>\n", line);
  for (auto& p : points) {
    s += fmt::format("<circle class=\"pt{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"><title>{}</title></circle>\n",
                     p.crash ? " crash" : "", x(p.t_min), y(p.value), p.crash ? 6 : 3, xml_escape(p.label));
  }
  return s + "</svg>\n";
}
}  // namespace pcirig
