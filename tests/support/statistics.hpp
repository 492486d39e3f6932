#pragma once
// Small statistics helpers for tolerances that come from the data: every
// comparison in the validation tests is "within k standard errors".
#include <cmath>
#include <cstddef>
#include <vector>

namespace ionrail::test {

struct mean_error {
  double mean = 0;
  double standard_error = 0;
};

// Mean of independent samples and the standard error of that mean.
inline mean_error mean_and_error(const std::vector<double>& x) {
  mean_error m;
  const double n = static_cast<double>(x.size());
  for (double v : x) m.mean += v;
  m.mean /= n;
  double ss = 0;
  for (double v : x) ss += (v - m.mean) * (v - m.mean);
  m.standard_error = std::sqrt(ss / (n - 1) / n);
  return m;
}

// Moments of a sum of N independent steps of +1 (probability p), -1
// (probability m), 0 otherwise: what a single ion's displacement is in the
// sync method. The continuous-time (BKL) limit is N p = Γ+ t, N m = Γ- t.
struct walk_moments {
  double mean = 0;
  double variance = 0;
  double fourth_cumulant = 0;
};

inline walk_moments discrete_walk(double p, double m, double steps) {
  const double mu = p - m;
  const double c2 = p + m - mu * mu;
  const double c4 = p * std::pow(1 - mu, 4) + m * std::pow(1 + mu, 4) + (1 - p - m) * std::pow(mu, 4);
  return {steps * mu, steps * c2, steps * (c4 - 3 * c2 * c2)};
}

inline walk_moments poisson_walk(double right_rate_t, double left_rate_t) {
  return {right_rate_t - left_rate_t, right_rate_t + left_rate_t, right_rate_t + left_rate_t};
}

// Standard errors of the sample mean and sample variance of R draws of a
// variable with these moments (fourth central moment = κ4 + 3σ⁴).
inline double mean_standard_error(const walk_moments& w, double samples) { return std::sqrt(w.variance / samples); }
inline double variance_standard_error(const walk_moments& w, double samples) {
  const double mu4 = w.fourth_cumulant + 3 * w.variance * w.variance;
  return std::sqrt((mu4 - w.variance * w.variance) / samples);
}

}  // namespace ionrail::test
