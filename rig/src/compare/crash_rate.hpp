// Crash times modelled as exponential: with k crashes in a total exposure of T
// seconds (runs that end clean count their whole length), the rate's maximum
// likelihood estimate is k/T and its exact (Poisson, chi-square) confidence
// interval is [chi2(a/2, 2k) / 2T, chi2(1 - a/2, 2k + 2) / 2T].
#pragma once

namespace pcirig {

struct CrashRate {
  int crashes = 0;
  double exposure_s = 0;
  double rate = 0;         // per second
  double lo = 0, hi = 0;   // the confidence interval, per second
  double confidence = 0.95;
};

CrashRate crash_rate(int crashes, double exposure_s, double confidence = 0.95);

// P(no crash in t seconds) for a process crashing at `rate` per second.
double p_no_crash(double rate, double t);

// Conditional test of equal rates: given K = k_a + k_b crashes, under equal
// rates k_b is Binomial(K, T_b / (T_a + T_b)). P(k_b or fewer) and P(k_b or more).
double p_at_most(int k_b, int total, double p);
double p_at_least(int k_b, int total, double p);

// The chi-square quantile: x with P(X <= x) = p for nu degrees of freedom.
double chi2_quantile(double p, double nu);
}  // namespace pcirig
