#pragma once
// exp() for the rate tables. libm's exp and CUDA's exp may differ in the last
// bit, which would make CPU and GPU hop thresholds, and so trajectories,
// diverge. This version uses only IEEE-exact operations (fma, floor, ldexp)
// in a fixed order, so every backend produces identical bits.
#include <cmath>

#include <ionrail/hd.hpp>

namespace ionrail::kmc {

IONRAIL_HD inline double det_exp(double x) {
  if (x != x) return x;            // NaN propagates
  if (x > 709.0) return HUGE_VAL;  // exp overflows double beyond ~709.78
  if (x < -708.0) return 0.0;      // rates this small are zero for any dt
  constexpr double log2e = 1.4426950408889634074;
  // Cody-Waite split of ln 2 (fdlibm): k * ln2_hi is exact for |k| < 2^11.
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  const double k = floor(fma(x, log2e, 0.5));
  double r = fma(-k, ln2_hi, x);
  r = fma(-k, ln2_lo, r);
  // |r| <= 0.347: Taylor to degree 13 leaves a truncation error below 1e-17.
  double p = 1.0 / 6227020800.0;
  p = fma(p, r, 1.0 / 479001600.0);
  p = fma(p, r, 1.0 / 39916800.0);
  p = fma(p, r, 1.0 / 3628800.0);
  p = fma(p, r, 1.0 / 362880.0);
  p = fma(p, r, 1.0 / 40320.0);
  p = fma(p, r, 1.0 / 5040.0);
  p = fma(p, r, 1.0 / 720.0);
  p = fma(p, r, 1.0 / 120.0);
  p = fma(p, r, 1.0 / 24.0);
  p = fma(p, r, 1.0 / 6.0);
  p = fma(p, r, 0.5);
  p = fma(p, r, 1.0);
  p = fma(p, r, 1.0);
  return ldexp(p, static_cast<int>(k));
}

}  // namespace ionrail::kmc
