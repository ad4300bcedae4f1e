#include "compare/crash_rate.hpp"

#include <cmath>
#include <limits>

namespace pcirig {
namespace {
// Regularised lower incomplete gamma P(a, x): series below a+1, continued
// fraction (Lentz) above.
double gamma_p(double a, double x) {
  if (x <= 0) return 0;
  double lg = std::lgamma(a);
  if (x < a + 1) {
    double sum = 1 / a, term = sum;
    for (int n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-15) break;
    }
    return sum * std::exp(-x + a * std::log(x) - lg);
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; i++) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return 1 - std::exp(-x + a * std::log(x) - lg) * h;
}

double log_choose(int n, int k) { return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0); }

double binom_pmf(int k, int n, double p) {
  if (p <= 0) return k == 0 ? 1 : 0;
  if (p >= 1) return k == n ? 1 : 0;
  return std::exp(log_choose(n, k) + k * std::log(p) + (n - k) * std::log1p(-p));
}
}  // namespace

double chi2_quantile(double p, double nu) {
  if (nu <= 0 || p <= 0) return 0;
  if (p >= 1) return std::numeric_limits<double>::infinity();
  double a = nu / 2, lo = 0, hi = std::max(1.0, nu);
  while (gamma_p(a, hi / 2) < p) hi *= 2;
  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;
    (gamma_p(a, mid / 2) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

CrashRate crash_rate(int crashes, double exposure_s, double confidence) {
  CrashRate r;
  r.crashes = crashes;
  r.exposure_s = exposure_s;
  r.confidence = confidence;
  if (exposure_s <= 0) return r;
  double alpha = 1 - confidence;
  r.rate = crashes / exposure_s;
  r.lo = crashes == 0 ? 0 : chi2_quantile(alpha / 2, 2.0 * crashes) / (2 * exposure_s);
  r.hi = chi2_quantile(1 - alpha / 2, 2.0 * crashes + 2) / (2 * exposure_s);
  return r;
}

double p_no_crash(double rate, double t) { return std::exp(-rate * t); }

double p_at_most(int k_b, int total, double p) {
  double s = 0;
  for (int k = 0; k <= k_b && k <= total; k++) s += binom_pmf(k, total, p);
  return std::min(1.0, s);
}

double p_at_least(int k_b, int total, double p) {
  double s = 0;
  for (int k = std::max(0, k_b); k <= total; k++) s += binom_pmf(k, total, p);
  return std::min(1.0, s);
}
}  // namespace pcirig
