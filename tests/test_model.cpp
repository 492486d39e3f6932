// Fixed-point compact memristor model (ionrail/model/*.hpp): formats, table
// layout and checksum, interpolation, step and read-out against the float64
// reference within a derived bound, saturation corners, noise statistics,
// determinism, variation and the batch API.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <ionrail/model/model.hpp>

namespace {

using namespace ionrail::model;

constexpr double lsb = q_state::lsb;  // 2^-30, the state/drift/noise LSB

// --- The synthetic table ------------------------------------------------------
// drift(s, V) = k_up(V) (1 - s) - k_dn(V) s   per model step
//   k_up(V) = 1e-3 + 2e-3 max(V, 0),  k_dn(V) = 1e-3 + 2e-3 max(-V, 0)
// so ∂drift/∂s = -(k_up + k_dn) = -(2e-3 + 2e-3 |V|) in [-0.034, -0.002]:
// every V pulls s toward its equilibrium k_up / (k_up + k_dn). This is
// bilinear in (s, V) between grid points (the kink of max(V, 0) is at the grid
// point V = 0), so the interpolated table is the formula up to entry rounding.
// noise(s, V) = sigma_n (constant), G(s) = 1 + 999 s µS; fast fluctuation
// with stationary sd sigma_f (constant) and autocorrelation rho_f per step.
constexpr double sigma_n = 2e-3;
constexpr double sigma_f = 5e-3;
constexpr double rho_f = 0.8;

double k_up(double v) { return 1e-3 + 2e-3 * std::max(v, 0.0); }
double k_dn(double v) { return 1e-3 + 2e-3 * std::max(-v, 0.0); }
double drift_fn(double s, double v) { return k_up(v) * (1.0 - s) - k_dn(v) * s; }

table synthetic_table(const table_grid& grid = default_grid) {
  table t = make_table(
      grid, drift_fn, [](double, double) { return sigma_n; }, [](double s) { return 1.0 + 999.0 * s; });
  add_fluct(t, [](double, double) { return sigma_f; }, rho_f);
  return t;
}

// Random table over the full raw ranges (interpolation and overflow tests).
table random_table(const table_grid& grid, std::uint32_t seed) {
  table t(grid);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::int32_t> any(int_min<std::int32_t>, int_max<std::int32_t>);
  std::uniform_int_distribution<std::int32_t> pos(0, int_max<std::int32_t>);
  for (auto& x : t.drift) x = q_delta::from_raw(any(gen));
  for (auto& x : t.noise) x = q_delta::from_raw(pos(gen));
  for (auto& x : t.fluct) x = q_delta::from_raw(pos(gen));
  for (auto& x : t.g) x = q_cond::from_raw(pos(gen));
  t.fluct_rho = q_coeff::from_raw(coeff_one_raw);  // δ never decays: the extreme case
  t.fluct_kick = q_coeff::from_raw(coeff_one_raw);
  // The extremes themselves, at corners and next to each other.
  t.drift.front() = q_delta::max();
  t.drift[1] = q_delta::min();
  t.drift.back() = q_delta::min();
  t.noise.front() = q_delta::max();
  t.fluct.back() = q_delta::max();
  t.g.front() = q_cond::max();
  t.g[1] = q_cond::zero();
  return t;
}

// Smallest and largest decay rate λ = -∂drift/∂s over every s cell and V
// column of the STORED table (the interpolant's slope in s at any V is a
// convex combination of two columns' slopes).
struct rate_range {
  double min, max;
};
rate_range decay_rates(const table& t) {
  rate_range r{1e300, -1e300};
  const double inv_h = static_cast<double>(t.grid.n_s - 1);
  for (int i = 0; i + 1 < t.grid.n_s; ++i)
    for (int j = 0; j < t.grid.n_v; ++j) {
      const double lam = -(t.drift_at(i + 1, j).to_double() - t.drift_at(i, j).to_double()) * inv_h;
      r.min = std::min(r.min, lam);
      r.max = std::max(r.max, lam);
    }
  return r;
}

// --- The derived error bound --------------------------------------------------
// One fixed step vs one float64 reference step from the same state s and the
// same V (both exactly representable, so the cell fractions are identical):
//   interpolation: two lerps, each round_shift errs by at most 1/2 LSB, the
//     first carried through convex weights: |D_fix - D| <= 1 LSB, same for N.
//   gain: round_shift(D_fix · g, 30): |g D_fix - g D| + 1/2 <= g + 1/2 LSB.
//   noise (when on): z_fix = round_shift(c K, 23) 2^-24 vs z = c / sigma_c:
//     |z_fix - z| <= dz = 2^-25 + 131070 |K 2^-47 - 1/sigma_c| (≈ 2.98e-8),
//     |N_fix z_fix - N z| <= |z_fix| · 1 LSB + N dz, plus 1/2 LSB rounding,
//     |z_fix| <= sqrt(12) + dz.
//   float64 reference: a few ulp of numbers <= 2, < 1e-6 LSB; 0.01 LSB kept.
//   The final clamp to [0, 1] is the same in both and does not increase errors.
// So eps_step = g + 1/2 + [noise] ((sqrt(12) + dz) + N_max dz / LSB + 1/2) + 0.01  (LSB).
//
// Over many steps: let e_n = s_fix - s_ref. With D piecewise linear in s and
// slopes -λ, λ in [λ_min, λ_max] (decay_rates), g λ_max <= 1 and N constant in
// s, the difference of the exact maps contracts by (1 - g λ) <= 1 - g λ_min:
//   |e_{n+1}| <= (1 - g λ_min) |e_n| + eps_step  =>  |e_n| <= eps_step / (g λ_min)
// for e_0 = 0, at every step n. (A table without contraction would give the
// linear bound n · eps_step instead.)
double z_error_bound() {
  const double k_err = std::fabs(static_cast<double>(gauss4_scale) * std::ldexp(1.0, -47) - 1.0 / gauss4_sigma_c);
  return std::ldexp(1.0, -25) + static_cast<double>(gauss4_center) * k_err;
}
double eps_step_lsb(double gain, bool noise, double noise_max) {
  double e = gain * 1.0 + 0.5 + 0.01;
  if (noise) {
    const double dz = z_error_bound();
    e += (std::sqrt(12.0) + dz) * 1.0 + noise_max * dz / lsb + 0.5;
  }
  return e;
}
// The fluctuation δ' = ρ δ + κ F z (ρ, κ the table's exact values in both):
//   round_shift(δ ρ, 30): 1/2 LSB;
//   F' = round_shift(F_fix κ, 30): |F' - κ F| <= κ · 1 + 1/2 <= 3/2 LSB;
//   |F' z_fix - κ F z| <= |z_fix| · 3/2 + κ F dz, plus 1/2 LSB rounding.
// With F independent of s (the synthetic table) the fluctuation error does
// not couple to the state error, and it contracts by ρ each step:
//   |e_δ,n| <= eps_δ / (1 - ρ).  The read state s + δ errs by at most the sum.
double eps_fluct_lsb(bool noise, double fluct_max) {
  double e = 0.5 + 0.01;
  if (noise) {
    const double dz = z_error_bound();
    e += (std::sqrt(12.0) + dz) * 1.5 + fluct_max * dz / lsb + 0.5;
  }
  return e;
}

// Random-pulse voltage protocol over the whole int16 range, with holds at 0 V
// (relaxation) and at both extremes.
std::vector<q_volt> pulse_protocol(std::size_t steps, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> hold(1, 200), kind(0, 9);
  std::uniform_int_distribution<std::int32_t> any(-32768, 32767);
  std::vector<q_volt> v;
  v.reserve(steps);
  while (v.size() < steps) {
    const int k = kind(gen);
    const std::int32_t raw = k < 2 ? 0 : (k == 2 ? 32767 : (k == 3 ? -32768 : any(gen)));
    for (int h = hold(gen); h > 0 && v.size() < steps; --h) v.push_back(q_volt::from_raw(static_cast<std::int16_t>(raw)));
  }
  return v;
}

// ============================================================================
// Formats and the two rules
// ============================================================================

TEST(ModelFixed, RoundShiftIsRoundHalfUp) {
  EXPECT_EQ(round_shift(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(round_shift(-5, 1), -2);  // -2.5 -> -2
  EXPECT_EQ(round_shift(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(round_shift(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(round_shift(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(round_shift(123, 0), 123);
  EXPECT_EQ(round_shift(-(std::int64_t{1} << 62), 62), -1);
  EXPECT_EQ(round_shift(std::int64_t{1} << 62, 62), 1);
  // Property over random values: x/2^n - 1/2 < r <= x/2^n + 1/2.
  std::mt19937_64 gen(7);
  for (int i = 0; i < 10000; ++i) {
    const auto x = static_cast<std::int64_t>(gen() >> 2) - (std::int64_t{1} << 61);
    const int n = static_cast<int>(gen() % 40);
    const std::int64_t r = round_shift(x, n);
    const std::int64_t lo = r * (std::int64_t{1} << n) - (n > 0 ? (std::int64_t{1} << (n - 1)) : 0);
    EXPECT_LE(lo, x);
    EXPECT_GT(lo + (std::int64_t{1} << n), x);
  }
}

TEST(ModelFixed, SaturationClampsToRange) {
  EXPECT_EQ(saturate<std::int16_t>(40000), 32767);
  EXPECT_EQ(saturate<std::int16_t>(-40000), -32768);
  EXPECT_EQ(saturate<std::int32_t>(std::int64_t{1} << 40), int_max<std::int32_t>);
  EXPECT_EQ(saturate<std::int32_t>(-(std::int64_t{1} << 40)), int_min<std::int32_t>);
  EXPECT_EQ(saturate<std::int32_t>(-17), -17);
  EXPECT_EQ(saturate_range(5, 0, 3), 3);
  EXPECT_EQ(saturate_range(-5, 0, 3), 0);
  EXPECT_EQ(int_max<std::int64_t>, INT64_MAX);
  EXPECT_EQ(int_min<std::int16_t>, INT16_MIN);
}

TEST(ModelFixed, DoubleConversionRoundsHalfUpAndSaturates) {
  EXPECT_EQ(q_volt::from_double(1.0).raw(), 2048);
  EXPECT_EQ(q_volt::from_double(0.5 * q_volt::lsb).raw(), 1);     // tie up
  EXPECT_EQ(q_volt::from_double(-0.5 * q_volt::lsb).raw(), 0);    // tie up
  EXPECT_EQ(q_volt::from_double(-1.5 * q_volt::lsb).raw(), -1);   // tie up
  EXPECT_EQ(q_volt::from_double(0.49 * q_volt::lsb).raw(), 0);
  EXPECT_EQ(q_volt::from_double(16.0), q_volt::max());
  EXPECT_EQ(q_volt::from_double(-16.0).raw(), -32768);
  EXPECT_EQ(q_volt::from_double(-100.0), q_volt::min());
  EXPECT_EQ(q_volt::from_double(std::nan("")).raw(), 0);
  EXPECT_EQ(q_state::from_double(1.0).raw(), state_one_raw);
  EXPECT_EQ(q_current::from_double(1e30), q_current::max());
  EXPECT_EQ(q_current::from_double(-1e30), q_current::min());
  EXPECT_DOUBLE_EQ(q_state::from_raw(3).to_double(), 3.0 * std::ldexp(1.0, -30));
  EXPECT_DOUBLE_EQ(q_volt::max_value, 16.0 - std::ldexp(1.0, -11));
  EXPECT_DOUBLE_EQ(q_cond::max_value, 2048.0 - std::ldexp(1.0, -20));
}

TEST(ModelFixed, MulRoundsOnceAndSaturates) {
  // 1.5 V · 3 µS = 4.5 µA exactly (no rounding in the current format).
  EXPECT_EQ(fixed_mul<q_current>(q_cond::from_double(3.0), q_volt::from_double(1.5)).to_double(), 4.5);
  // 0.5 · 3 LSB = 1.5 LSB -> 2 (half up); -1.5 LSB -> -1.
  const q_gain half = q_gain::from_double(0.5);
  EXPECT_EQ(fixed_mul<q_delta>(q_delta::from_raw(3), half).raw(), 2);
  EXPECT_EQ(fixed_mul<q_delta>(q_delta::from_raw(-3), half).raw(), -1);
  // 1.9 · 1.9 = 3.61 saturates in a [-2, 2) format.
  const q_gain big = q_gain::from_double(1.9);
  EXPECT_EQ(fixed_mul<q_gain>(big, big), q_gain::max());
  static_assert(std::is_trivial_v<q_state> && std::is_standard_layout_v<q_state>);
  static_assert(sizeof(q_volt) == 2 && sizeof(q_state) == 4 && sizeof(q_current) == 8);
}

// ============================================================================
// Grid, layout, validation, checksum
// ============================================================================

TEST(ModelTable, GridValidation) {
  EXPECT_EQ(check_grid(default_grid), table_status::ok);
  EXPECT_EQ(default_grid.n_s, 65);
  EXPECT_EQ(default_grid.n_v, 65);
  EXPECT_EQ(default_grid.v_half_span_raw(), 32768);
  EXPECT_DOUBLE_EQ(default_grid.v_at(0), -16.0);
  EXPECT_DOUBLE_EQ(default_grid.v_at(33), 0.5);
  EXPECT_DOUBLE_EQ(default_grid.s_at(64), 1.0);
  EXPECT_EQ(check_grid(table_grid{65, 65, 0, 10}), table_status::bad_s_step);
  EXPECT_EQ(check_grid(table_grid{64, 65, 6, 10}), table_status::bad_n_s);
  EXPECT_EQ(check_grid(table_grid{65, 65, 6, 16}), table_status::bad_v_step);
  EXPECT_EQ(check_grid(table_grid{65, 64, 6, 10}), table_status::bad_n_v);
  EXPECT_EQ(check_grid(table_grid{65, 1, 6, 10}), table_status::bad_n_v);
  EXPECT_EQ(check_grid(table_grid{65, 67, 6, 10}), table_status::v_span_too_wide);
  EXPECT_EQ(check_grid(table_grid{65537, 8193, 16, 3}), table_status::too_large);
  EXPECT_EQ(check_grid(table_grid::make(16, 0, 32768)), table_status::too_large);
  EXPECT_EQ(check_grid(table_grid::make(4, 0, 32768)), table_status::ok);  // every LSB a grid point
  for (int s = 0; s <= static_cast<int>(table_status::bad_coeff); ++s)
    EXPECT_STRNE(describe(static_cast<table_status>(s)), "unknown table status");
}

TEST(ModelTable, CheckRejectsBadTables) {
  table t = synthetic_table();
  EXPECT_EQ(t.check(), table_status::ok);
  table u = t;
  u.noise[17] = q_delta::from_raw(-1);
  EXPECT_EQ(u.check(), table_status::negative_noise);
  u = t;
  u.g[3] = q_cond::from_raw(-1);
  EXPECT_EQ(u.check(), table_status::negative_g);
  u = t;
  u.drift.pop_back();
  EXPECT_EQ(u.check(), table_status::bad_size);
  u = t;
  u.fluct[5] = q_delta::from_raw(-1);
  EXPECT_EQ(u.check(), table_status::negative_fluct);
  u = t;
  u.fluct_rho = q_coeff::from_raw(coeff_one_raw + 1);
  EXPECT_EQ(u.check(), table_status::bad_coeff);
  u = t;
  u.fluct_kick = q_coeff::from_raw(-1);
  EXPECT_EQ(u.check(), table_status::bad_coeff);
  u = t;
  u.fluct.pop_back();
  EXPECT_EQ(u.check(), table_status::bad_size);
  table_view v = t.view();
  v.noise = nullptr;
  EXPECT_EQ(check_table(v), table_status::null_array);
  v = t.view();
  v.fluct = nullptr;
  EXPECT_EQ(check_table(v), table_status::null_array);
}

// Known answer: tiny 3 × 3 table, FNV-1a 64 computed independently (Python)
// over the little-endian words described in table_view.hpp.
TEST(ModelTable, ChecksumKnownAnswer) {
  table t(table_grid::make(1, 15, 1));
  ASSERT_EQ(t.check(), table_status::ok);
  for (int i = 0; i < 9; ++i) {
    t.drift[static_cast<std::size_t>(i)] = q_delta::from_raw(i * 100 - 400);
    t.noise[static_cast<std::size_t>(i)] = q_delta::from_raw(i * 7);
    t.fluct[static_cast<std::size_t>(i)] = q_delta::from_raw(i * 3 + 1);
  }
  for (int i = 0; i < 3; ++i) t.g[static_cast<std::size_t>(i)] = q_cond::from_raw((i + 1) << 20);
  t.set_fluct_rho(0.75);
  ASSERT_EQ(t.fluct_rho.raw(), 805306368);  // 0.75 · 2^30
  ASSERT_EQ(t.fluct_kick.raw(), 710213460);  // round(sqrt(1 - 0.75^2) · 2^30)
  EXPECT_EQ(t.checksum(), 0x3228daab9034ac84ull);
}

TEST(ModelTable, ChecksumChangesWithAnyEntryOrField) {
  const table t = synthetic_table();
  const std::uint64_t h = t.checksum();
  EXPECT_EQ(h, synthetic_table().checksum());  // deterministic
  for (std::size_t i : {std::size_t{0}, std::size_t{2000}, t.drift.size() - 1}) {
    table u = t;
    u.drift[i] = q_delta::from_raw(u.drift[i].raw() + 1);
    EXPECT_NE(u.checksum(), h) << "drift " << i;
    u = t;
    u.noise[i] = q_delta::from_raw(u.noise[i].raw() ^ int_min<std::int32_t>);
    EXPECT_NE(u.checksum(), h) << "noise " << i;
    u = t;
    u.fluct[i] = q_delta::from_raw(u.fluct[i].raw() + 1);
    EXPECT_NE(u.checksum(), h) << "fluct " << i;
  }
  {
    table u = t;
    u.fluct_rho = q_coeff::from_raw(u.fluct_rho.raw() - 1);
    EXPECT_NE(u.checksum(), h);
  }
  {
    table u = t;
    u.fluct_kick = q_coeff::from_raw(u.fluct_kick.raw() + 1);
    EXPECT_NE(u.checksum(), h);
  }
  table u = t;
  u.g[64] = q_cond::from_raw(u.g[64].raw() - 1);
  EXPECT_NE(u.checksum(), h);
  // Two swapped entries change it too (order matters).
  u = t;
  std::swap(u.drift[100], u.drift[101]);
  ASSERT_NE(u.drift[100], u.drift[101]);
  EXPECT_NE(u.checksum(), h);
  u = t;
  u.grid.v_log2_step = 9;
  EXPECT_NE(u.checksum(), h);
}

// ============================================================================
// Interpolation
// ============================================================================

TEST(ModelInterp, ExactAtEveryGridPoint) {
  const table_grid grids[] = {default_grid, table_grid::make(3, 12, 3), table_grid::make(1, 15, 1),
                              table_grid::make(4, 0, 16)};
  for (const table_grid& grid : grids) {
    const table t = random_table(grid, 11);
    const table_view v = t.view();
    for (int i = 0; i < grid.n_s; ++i) {
      const q_state s = q_state::from_raw(grid.s_raw_at(i));
      ASSERT_EQ(g_at(v, s), t.g[static_cast<std::size_t>(i)]);
      for (int j = 0; j < grid.n_v; ++j) {
        // +16 V (raw 32768) is not a q_volt; it is reached by saturation.
        const std::int32_t vr = std::min(grid.v_raw_at(j), std::int32_t{32767});
        if (vr != grid.v_raw_at(j)) continue;
        const q_volt volt = q_volt::from_raw(static_cast<std::int16_t>(vr));
        ASSERT_EQ(drift_at(v, s, volt), t.drift_at(i, j)) << i << "," << j;
        ASSERT_EQ(noise_at(v, s, volt), t.noise_at(i, j)) << i << "," << j;
        ASSERT_EQ(fluct_at(v, s, volt), t.fluct_at(i, j)) << i << "," << j;
      }
    }
  }
}

TEST(ModelInterp, MidpointsAreAveragesWithinOneLsb) {
  const table t = random_table(table_grid::make(3, 12, 3), 5);
  const table_view v = t.view();
  const table_grid& g = t.grid;
  const std::int32_t hs = g.s_raw_at(1) / 2, hv = (1 << g.v_log2_step) / 2;
  for (int i = 0; i + 1 < g.n_s; ++i)
    for (int j = 0; j + 1 < g.n_v; ++j) {
      const auto s0 = q_state::from_raw(g.s_raw_at(i)), sm = q_state::from_raw(g.s_raw_at(i) + hs);
      const auto v0 = q_volt::from_raw(static_cast<std::int16_t>(g.v_raw_at(j)));
      const auto vm = q_volt::from_raw(static_cast<std::int16_t>(g.v_raw_at(j) + hv));
      const double a = t.drift_at(i, j).to_double(), b = t.drift_at(i, j + 1).to_double();
      const double c = t.drift_at(i + 1, j).to_double(), d = t.drift_at(i + 1, j + 1).to_double();
      EXPECT_LE(std::fabs(drift_at(v, s0, vm).to_double() - (a + b) / 2), 0.5 * lsb);  // one rounding
      EXPECT_LE(std::fabs(drift_at(v, sm, v0).to_double() - (a + c) / 2), 0.5 * lsb);
      EXPECT_LE(std::fabs(drift_at(v, sm, vm).to_double() - (a + b + c + d) / 4), 1.0 * lsb);  // two
    }
  for (int i = 0; i + 1 < g.n_s; ++i) {
    const double a = t.g[static_cast<std::size_t>(i)].to_double(), b = t.g[static_cast<std::size_t>(i) + 1].to_double();
    EXPECT_LE(std::fabs(g_at(v, q_state::from_raw(g.s_raw_at(i) + hs)).to_double() - (a + b) / 2), 0.5 * q_cond::lsb);
  }
}

TEST(ModelInterp, WithinOneLsbOfExactBilinearEverywhere) {
  for (const table_grid& grid : {default_grid, table_grid::make(5, 8, 40), table_grid::make(1, 15, 1)}) {
    const table t = random_table(grid, 3);
    const reference_table r(t.view());
    std::mt19937 gen(99);
    std::uniform_int_distribution<std::int32_t> sd(0, state_one_raw), vd(-32768, 32767);
    double worst = 0;
    for (int n = 0; n < 200000; ++n) {
      const q_state s = q_state::from_raw(sd(gen));
      const q_volt v = q_volt::from_raw(static_cast<std::int16_t>(vd(gen)));
      const double e1 = std::fabs(drift_at(t.view(), s, v).to_double() - r.drift_at(s.to_double(), v.to_double()));
      const double e2 = std::fabs(noise_at(t.view(), s, v).to_double() - r.noise_at(s.to_double(), v.to_double()));
      const double e3 = std::fabs(g_at(t.view(), s).to_double() - r.g_at(s.to_double())) / q_cond::lsb * lsb;
      worst = std::max({worst, e1, e2, e3});
    }
    EXPECT_LE(worst, (1.0 + 1e-6) * lsb);
  }
}

TEST(ModelInterp, VoltageOutsideGridSaturatesToEdge) {
  // ±2 V grid (h = 8, 0.25 V steps): beyond it the edge column is used.
  const table t = random_table(table_grid::make(4, 9, 8), 21);
  const table_view v = t.view();
  const int last = t.grid.n_v - 1;
  for (int i = 0; i < t.grid.n_s; ++i) {
    const q_state s = q_state::from_raw(t.grid.s_raw_at(i));
    for (double volts : {2.0, 2.0001, 5.0, 15.9995}) EXPECT_EQ(drift_at(v, s, q_volt::from_double(volts)), t.drift_at(i, last));
    for (double volts : {-2.0, -2.0001, -5.0, -16.0}) EXPECT_EQ(noise_at(v, s, q_volt::from_double(volts)), t.noise_at(i, 0));
  }
  // State outside [0, 1] is looked up at the nearest end.
  EXPECT_EQ(g_at(v, q_state::from_raw(-5)), t.g.front());
  EXPECT_EQ(g_at(v, q_state::from_raw(state_one_raw + 7)), t.g.back());
  EXPECT_EQ(g_at(v, q_state::max()), t.g.back());
}

// Embedded use: const arrays (as in the generated C header) and a step in a
// constant expression.
constexpr q_delta k_drift[9] = {q_delta::from_raw(-300), q_delta::from_raw(0),      q_delta::from_raw(300),
                                q_delta::from_raw(-200), q_delta::from_raw(0),      q_delta::from_raw(200),
                                q_delta::from_raw(-100), q_delta::from_raw(0),      q_delta::from_raw(100)};
constexpr q_delta k_noise[9] = {q_delta::zero(), q_delta::zero(), q_delta::zero(), q_delta::zero(), q_delta::zero(),
                                q_delta::zero(), q_delta::zero(), q_delta::zero(), q_delta::zero()};
constexpr q_cond k_g[3] = {q_cond::from_raw(0), q_cond::from_raw(1 << 20), q_cond::from_raw(2 << 20)};
constexpr table_view k_view{table_grid::make(1, 15, 1), k_drift, k_noise, k_noise, k_g,
                            q_coeff::from_raw(coeff_one_raw / 2), q_coeff::from_raw(929887697)};
constexpr std::int32_t constexpr_step() {
  device d = make_device(1, variation_params::none(), q_state::from_raw(state_one_raw / 2), false);
  step(k_view, d, q_volt::from_raw(16384));  // +8 V: halfway between columns 1 and 2 at s = 1/2
  return d.state.raw();
}
static_assert(check_grid(k_view.grid) == table_status::ok);
static_assert(drift_at(k_view, q_state::from_raw(state_one_raw / 2), q_volt::from_raw(-32768)) == k_drift[3]);
static_assert(constexpr_step() == state_one_raw / 2 + 100);
static_assert(read_current(k_view, make_device(1, variation_params::none(), q_state::from_raw(state_one_raw), false),
                           q_volt::from_raw(2048))
                  .raw() == (std::int64_t{2} << 31));  // 2 µS · 1 V = 2 µA

TEST(ModelInterp, ConstexprTableFromConstArrays) { EXPECT_EQ(constexpr_step(), state_one_raw / 2 + 100); }

// ============================================================================
// Step vs float64 reference
// ============================================================================

TEST(ModelStep, OneStepWithinDerivedBound) {
  const table t = synthetic_table();
  const reference_table r(t.view());
  std::mt19937 gen(1234);
  std::uniform_int_distribution<std::int32_t> sd(0, state_one_raw), vd(-32768, 32767);
  for (bool noise : {false, true}) {
    std::uniform_int_distribution<std::int32_t> fd(-state_one_raw / 8, state_one_raw / 8);
    double worst = 0, worst_ratio = 0, worst_f = 0;
    const double eps_f = eps_fluct_lsb(noise, sigma_f);
    for (int n = 0; n < 200000; ++n) {
      device d = make_device(static_cast<std::uint64_t>(n), variation_params::from_si(0.03, 0.0),
                             q_state::from_raw(sd(gen)), noise);
      d.fluct = q_fluct::from_raw(fd(gen));
      reference_device rd = reference_device::from(d);
      const q_volt v = q_volt::from_raw(static_cast<std::int16_t>(vd(gen)));
      step(t.view(), d, v);
      reference_step(r, rd, v.to_double());
      const double err = std::fabs(d.state.to_double() - rd.state) / lsb;
      const double eps = eps_step_lsb(d.gain.to_double(), noise, sigma_n);
      ASSERT_LE(err, eps) << "n " << n;
      const double err_f = std::fabs(d.fluct.to_double() - rd.fluct) / lsb;
      ASSERT_LE(err_f, eps_f) << "n " << n;
      ASSERT_EQ(d.rng, rd.rng);
      worst = std::max(worst, err);
      worst_f = std::max(worst_f, err_f);
      worst_ratio = std::max(worst_ratio, err / eps);
    }
    std::printf("one step, noise %d: worst |fixed - float64| = %.3f LSB (%.0f %% of the bound); fluctuation %.3f LSB "
                "(bound %.2f)\n",
                noise ? 1 : 0, worst, 100 * worst_ratio, worst_f, eps_f);
  }
}

TEST(ModelStep, HundredThousandStepsWithinDerivedBound) {
  const table t = synthetic_table();
  const reference_table r(t.view());
  const rate_range lam = decay_rates(t);
  ASSERT_GT(lam.min, 1.9e-3);  // 2e-3 at V = 0, up to entry rounding
  ASSERT_LT(lam.max, 3.5e-2);
  const std::vector<q_volt> protocol = pulse_protocol(100000, 77);
  for (bool noise : {false, true}) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      device d = make_device(seed, variation_params::from_si(0.03, 0.0), q_state::from_double(0.1), noise);
      reference_device rd = reference_device::from(d);
      const double g = d.gain.to_double();
      ASSERT_LE(g * lam.max, 1.0);  // the step is monotone in s: contraction holds
      const double eps = eps_step_lsb(g, noise, sigma_n);
      const double bound = eps / (g * lam.min);
      const double bound_f = eps_fluct_lsb(noise, sigma_f) / (1 - t.fluct_rho.to_double());
      double worst = 0, worst_f = 0, worst_read = 0;
      double s_min = 1, s_max = 0;
      for (const q_volt v : protocol) {
        step(t.view(), d, v);
        reference_step(r, rd, v.to_double());
        worst = std::max(worst, std::fabs(d.state.to_double() - rd.state) / lsb);
        worst_f = std::max(worst_f, std::fabs(d.fluct.to_double() - rd.fluct) / lsb);
        worst_read = std::max(worst_read, std::fabs(read_state(d).to_double() - reference_read_state(rd)) / lsb);
        s_min = std::min(s_min, rd.state);
        s_max = std::max(s_max, rd.state);
      }
      EXPECT_LE(worst, bound) << "seed " << seed << " noise " << noise;
      EXPECT_LE(worst_f, bound_f) << "seed " << seed << " noise " << noise;
      EXPECT_LE(worst_read, bound + bound_f) << "seed " << seed << " noise " << noise;
      std::printf("1e5 steps, noise %d, seed %d: fluctuation worst %.2f LSB, bound %.1f LSB\n", noise ? 1 : 0,
                  static_cast<int>(seed), worst_f, bound_f);
      EXPECT_LT(s_min, 0.1);  // the protocol visits both ends of the state range
      EXPECT_GT(s_max, 0.9);
      std::printf("1e5 steps, noise %d, seed %d: worst %.2f LSB = %.3g, bound %.0f LSB = %.3g\n", noise ? 1 : 0,
                  static_cast<int>(seed), worst, worst * lsb, bound, bound * lsb);
    }
  }
}

TEST(ModelStep, ReadCurrentExactProductAndNearReference) {
  const table t = synthetic_table();
  const reference_table r(t.view());
  std::mt19937 gen(8);
  std::uniform_int_distribution<std::int32_t> sd(0, state_one_raw), vd(-32768, 32767);
  for (int n = 0; n < 100000; ++n) {
    device d = make_device(static_cast<std::uint64_t>(n), variation_params::from_si(0.0, 5e-6), q_state::from_raw(sd(gen)));
    d.fluct = q_fluct::from_raw(sd(gen) / 4 - state_one_raw / 8);  // read state s + δ, sometimes clamped
    const q_volt v = q_volt::from_raw(static_cast<std::int16_t>(vd(gen)));
    const q_current i = read_current(t.view(), d, v);
    ASSERT_EQ(i.raw(), std::int64_t{conductance(t.view(), d).raw()} * v.raw());  // exact, no rounding
    // G interpolation errs by <= 1 q_cond LSB, so |I - I_ref| <= |V_raw| q_current LSB.
    const double ref = reference_current(r, reference_device::from(d), v.to_double());
    ASSERT_LE(std::fabs(i.to_double() - ref), (std::abs(v.raw()) + 1e-3) * q_current::lsb) << n;
  }
}

// ============================================================================
// Saturation corners
// ============================================================================

TEST(ModelSaturation, StateStaysInUnitInterval) {
  // Drift ±0.01 per step toward the electrode the voltage points at.
  const table t = make_table(
      default_grid, [](double, double v) { return v < 0 ? -0.01 : 0.01; }, [](double, double) { return 2e-3; },
      [](double s) { return 1.0 + s; });
  device d = make_device(4, variation_params::none(), q_state::zero(), false);
  // Pulled down at s = 0: stays exactly 0. Pushed up at s = 1: stays exactly 1.
  for (int n = 0; n < 10; ++n) EXPECT_EQ(step(t.view(), d, q_volt::min()).raw(), 0);
  for (int n = 0; n < 200; ++n) step(t.view(), d, q_volt::max());
  EXPECT_EQ(d.state.raw(), state_one_raw);
  for (int n = 0; n < 10; ++n) EXPECT_EQ(step(t.view(), d, q_volt::max()).raw(), state_one_raw);
  // Full range pulses with noise: always within [0, 1].
  d.noise = true;
  for (const q_volt v : pulse_protocol(100000, 3)) {
    const std::int32_t s = step(t.view(), d, v).raw();
    ASSERT_GE(s, 0);
    ASSERT_LE(s, state_one_raw);
  }
  // A state set outside [0, 1] by hand comes back in one step.
  d.state = q_state::from_raw(-12345);
  EXPECT_GE(step(t.view(), d, q_volt::zero()).raw(), 0);
  d.state = q_state::max();
  EXPECT_LE(step(t.view(), d, q_volt::zero()).raw(), state_one_raw);
}

TEST(ModelSaturation, VoltageExtremesUseTheEdgeColumns) {
  const table t = synthetic_table();
  const reference_table r(t.view());
  for (int i = 0; i < t.grid.n_s; ++i) {
    const q_state s = q_state::from_raw(t.grid.s_raw_at(i));
    EXPECT_EQ(drift_at(t.view(), s, q_volt::min()), t.drift_at(i, 0));  // -16 V is the first grid point
    // +16 - 2^-11 V is 1023/1024 of the way to the +16 V point (not a q_volt).
    EXPECT_LE(std::fabs(drift_at(t.view(), s, q_volt::max()).to_double() - r.drift_at(s.to_double(), q_volt::max_value)),
              lsb);
  }
}

TEST(ModelSaturation, ExtremeTableDoesNotOverflow) {
  // Every entry at the format's extreme; gain at its maximum (≈ 2).
  table t(default_grid);
  for (int i = 0; i < t.grid.n_s; ++i)
    for (int j = 0; j < t.grid.n_v; ++j) {
      t.drift_at(i, j) = j < t.grid.n_v / 2 ? q_delta::min() : q_delta::max();
      t.noise_at(i, j) = q_delta::max();
    }
  for (auto& g : t.g) g = q_cond::max();
  ASSERT_EQ(t.check(), table_status::ok);
  device d = make_device(9, variation_params::none(), q_state::from_raw(state_one_raw / 2), false);
  d.gain = q_gain::max();
  d.g_offset = q_cond::max();
  EXPECT_EQ(step(t.view(), d, q_volt::max()).raw(), state_one_raw);
  EXPECT_EQ(step(t.view(), d, q_volt::min()).raw(), 0);
  // G + offset saturates at the q_cond maximum; the current is still exact.
  EXPECT_EQ(conductance(t.view(), d), q_cond::max());
  EXPECT_EQ(read_current(t.view(), d, q_volt::min()).raw(), std::int64_t{int_max<std::int32_t>} * -32768);
  EXPECT_EQ(read_current(t.view(), d, q_volt::max()).raw(), std::int64_t{int_max<std::int32_t>} * 32767);
  // Negative offset below G: effective conductance 0, current 0.
  d.g_offset = q_cond::min();
  t.g.assign(t.g.size(), q_cond::zero());
  EXPECT_EQ(conductance(t.view(), d), q_cond::zero());
  EXPECT_EQ(read_current(t.view(), d, q_volt::max()).raw(), 0);
  // Noise of +2 per step with every z: the state is always 0 or 1 (or stays in range).
  d.noise = true;
  for (int n = 0; n < 10000; ++n) {
    const std::int32_t s = step(t.view(), d, q_volt::from_raw(static_cast<std::int16_t>((n * 7919) % 65536 - 32768))).raw();
    ASSERT_GE(s, 0);
    ASSERT_LE(s, state_one_raw);
  }
  // Random full-range tables: the interpolated values stay between the corners.
  const table rt = random_table(default_grid, 17);
  device e = make_device(10, variation_params::none());
  e.gain = q_gain::max();
  for (const q_volt v : pulse_protocol(20000, 5)) {
    const std::int32_t s = step(rt.view(), e, v).raw();
    ASSERT_GE(s, 0);
    ASSERT_LE(s, state_one_raw);
  }
}

// ============================================================================
// Noise statistics, determinism, variation
// ============================================================================

// At fixed (s, V) with gain 1, Δs = D + round(N z): over N_samp = 2^20 steps
// (state reset each step) the sample mean must be D within 5 standard errors
// (5 N / sqrt(N_samp)) and the sample variance N^2 within 5 standard errors
// (relative sd sqrt((2 + κ)/N_samp), κ = -0.3 the excess kurtosis of a sum of
// four uniforms). Kurtosis 2.7 ± 0.03 and lag-1 autocorrelation within
// 5/sqrt(N_samp) check the shape and independence of z. The generator is
// seeded, so the outcome is fixed; 5 sigma is the tolerance a fresh seed would
// fail with probability below 1e-5 per check.
TEST(ModelNoise, MeanAndVarianceMatchTable) {
  const table t = make_table(
      default_grid, drift_fn, [](double s, double v) { return 1e-3 + 2e-3 * s + 1e-4 * std::fabs(v); },
      [](double s) { return 1.0 + s; });
  const std::size_t n_samp = std::size_t{1} << 20;
  struct point {
    double s, v;
  };
  for (const point p : {point{0.5, 1.0}, point{0.1, -3.25}, point{0.8, 7.3}, point{0.0, 0.0}}) {
    const q_state s0 = q_state::from_double(p.s);
    const q_volt v = q_volt::from_double(p.v);
    const double mean_ref = drift_at(t.view(), s0, v).to_double();
    const double sd_ref = noise_at(t.view(), s0, v).to_double();
    device d = make_device(static_cast<std::uint64_t>(p.s * 1000 + 7), variation_params::none(), s0, true);
    double m1 = 0, m2 = 0, m4 = 0, lag = 0, prev = 0;
    std::vector<double> xs(n_samp);
    for (std::size_t n = 0; n < n_samp; ++n) {
      d.state = s0;
      xs[n] = step(t.view(), d, v).to_double() - s0.to_double();
      m1 += xs[n];
    }
    m1 /= static_cast<double>(n_samp);
    for (std::size_t n = 0; n < n_samp; ++n) {
      const double x = xs[n] - m1;
      m2 += x * x;
      m4 += x * x * x * x;
      lag += x * prev;
      prev = x;
    }
    m2 /= static_cast<double>(n_samp);
    m4 /= static_cast<double>(n_samp);
    lag /= static_cast<double>(n_samp) * m2;
    const double rn = std::sqrt(static_cast<double>(n_samp));
    if (p.s == 0.0) {  // at s = 0 the clamp cuts the lower tail: only check it stays >= 0
      EXPECT_GE(*std::min_element(xs.begin(), xs.end()), 0.0);
      continue;
    }
    EXPECT_NEAR(m1, mean_ref, 5 * sd_ref / rn + lsb) << p.s << " " << p.v;
    EXPECT_NEAR(m2 / (sd_ref * sd_ref), 1.0, 5 * std::sqrt(1.7) / rn) << p.s << " " << p.v;
    EXPECT_NEAR(m4 / (m2 * m2), 2.7, 0.03);
    EXPECT_LT(std::fabs(lag), 5 / rn);
  }
}

// The fast fluctuation at fixed (s, V): δ' = ρ δ + √(1 − ρ²) F z is an AR(1)
// chain with stationary mean 0, variance F² and lag-one autocorrelation ρ.
// Over N = 2^20 steps (after 200 of burn-in), with ρ = 0.8, standard errors of
// a Gaussian AR(1): mean F √((1 + ρ)/((1 − ρ) N)); variance
// F² √(2 (1 + ρ²)/((1 − ρ²) N)) (0.29 %); lag-one autocorrelation
// √((1 − ρ²)/N). Each is checked within 5 standard errors (fixed seed).
TEST(ModelNoise, FluctuationIsStationaryWithTableSpreadAndCorrelation) {
  const table t = synthetic_table();
  const double rho = t.fluct_rho.to_double();
  const q_state s0 = q_state::from_double(0.4);
  const q_volt v = q_volt::from_double(2.0);
  const double f = fluct_at(t.view(), s0, v).to_double();
  ASSERT_NEAR(f, sigma_f, lsb);
  device d = make_device(99, variation_params::none(), s0, true);
  for (int n = 0; n < 200; ++n) d.state = s0, step(t.view(), d, v);
  const std::size_t n_samp = std::size_t{1} << 20;
  std::vector<double> x(n_samp);
  double mean = 0;
  for (std::size_t n = 0; n < n_samp; ++n) {
    d.state = s0;
    step(t.view(), d, v);
    x[n] = d.fluct.to_double();
    mean += x[n] / static_cast<double>(n_samp);
  }
  double var = 0, lag = 0;
  for (std::size_t n = 0; n < n_samp; ++n) {
    var += (x[n] - mean) * (x[n] - mean) / static_cast<double>(n_samp);
    if (n > 0) lag += (x[n] - mean) * (x[n - 1] - mean) / static_cast<double>(n_samp - 1);
  }
  const double rn = std::sqrt(static_cast<double>(n_samp));
  EXPECT_NEAR(mean, 0.0, 5 * f * std::sqrt((1 + rho) / (1 - rho)) / rn);
  EXPECT_NEAR(var / (f * f), 1.0, 5 * std::sqrt(2 * (1 + rho * rho) / (1 - rho * rho)) / rn);
  EXPECT_NEAR(lag / var, rho, 5 * std::sqrt(1 - rho * rho) / rn);
  // Noise off: δ only decays, into the dead band of a rounded first-order
  // filter, |δ| <= 1/(2(1 - ρ)) LSB (there round(ρ δ) = δ), and stays there.
  d.noise = false;
  for (int n = 0; n < 2000; ++n) step(t.view(), d, v);
  EXPECT_LE(std::abs(d.fluct.raw()), 0.5 / (1 - rho));
  const q_fluct settled = d.fluct;
  step(t.view(), d, v);
  EXPECT_EQ(d.fluct, settled);
}

TEST(ModelNoise, NormalDeviateRecipe) {
  // Known-answer: xorshift32 from 1 (Marsaglia's 13/17/5).
  EXPECT_EQ(xorshift32(1u), 270369u);
  EXPECT_EQ(xorshift32(270369u), 67634689u);
  // Extremes of the centred sum: ±131070 / sigma_c ≈ ±3.46405 (just inside ±sqrt(12)).
  EXPECT_NEAR(gauss4_scale_z(131070).to_double(), 131070 / gauss4_sigma_c, q_z::lsb);
  EXPECT_NEAR(gauss4_scale_z(-131070).to_double(), -131070 / gauss4_sigma_c, q_z::lsb);
  EXPECT_LT(gauss4_scale_z(131070).to_double(), std::sqrt(12.0));
  EXPECT_EQ(gauss4_scale_z(0).raw(), 0);
  // The generator never reaches 0 from a nonzero state; noise off leaves it alone.
  const table t = synthetic_table();
  device d = make_device(5, variation_params::none(), q_state::from_double(0.5), false);
  const std::uint32_t r0 = d.rng;
  step(t.view(), d, q_volt::from_double(1.0));
  EXPECT_EQ(d.rng, r0);
  d.noise = true;
  step(t.view(), d, q_volt::from_double(1.0));
  EXPECT_EQ(d.rng, xorshift32(xorshift32(xorshift32(xorshift32(r0)))));  // two deviates: z1 (s) and z2 (δ)
}

TEST(ModelDeterminism, SameSeedSameBits) {
  const table t = synthetic_table();
  const auto protocol = pulse_protocol(100000, 9);
  const variation_params var = variation_params::from_si(0.02, 1e-6);
  device a = make_device(42, var, q_state::zero(), true), b = make_device(42, var, q_state::zero(), true);
  device c = make_device(43, var, q_state::zero(), true);
  std::uint64_t h = detail::fnv1a64_basis;
  int differ = 0;
  for (const q_volt v : protocol) {
    step(t.view(), a, v);
    step(t.view(), b, v);
    step(t.view(), c, v);
    ASSERT_EQ(a.state, b.state);
    ASSERT_EQ(a.fluct, b.fluct);
    ASSERT_EQ(a.rng, b.rng);
    ASSERT_EQ(read_current(t.view(), a, v), read_current(t.view(), b, v));
    differ += a.state != c.state;
    h = detail::fnv1a64_u32(h, static_cast<std::uint32_t>(a.state.raw()));
    h = detail::fnv1a64_u32(h, static_cast<std::uint32_t>(a.fluct.raw()));
  }
  EXPECT_GT(differ, 90000);  // another seed gives another trajectory
  // Golden trajectory hash: any change to the recipe (rounding, generator,
  // interpolation order, seeding) changes it; SystemC and RTL must match it.
  EXPECT_EQ(h, 0x0c79959f6b033cbfull) << std::hex << h;
}

TEST(ModelVariation, DrawsAreReproducibleAndHaveTheRequestedSpread) {
  const variation_params var = variation_params::from_si(0.02, 3e-6);
  EXPECT_EQ(var.offset_sigma, q_cond::from_double(3.0));
  // Reproducible, and a golden draw (integer-only, so the same on every platform).
  const device d1 = make_device(1, var), d2 = make_device(1, var);
  EXPECT_EQ(d1.gain, d2.gain);
  EXPECT_EQ(d1.g_offset, d2.g_offset);
  EXPECT_EQ(d1.rng, d2.rng);
  EXPECT_EQ(d1.gain.raw(), 1066528156) << d1.gain.raw();
  EXPECT_EQ(d1.g_offset.raw(), 5707121) << d1.g_offset.raw();
  EXPECT_EQ(d1.rng, 3680854470u) << d1.rng;
  // No variation: gain exactly 1, offset exactly 0.
  const device d0 = make_device(1, variation_params::none());
  EXPECT_EQ(d0.gain.raw(), state_one_raw);
  EXPECT_EQ(d0.g_offset.raw(), 0);
  // Spread over 10^5 devices: mean within 5 standard errors, sd within 2 %,
  // all within ±sqrt(12) sigma.
  const int n = 100000;
  double gm = 0, gv = 0, om = 0, ov = 0, gmax = 0;
  for (int i = 0; i < n; ++i) {
    const device d = make_device(device_seed(2024, static_cast<std::uint64_t>(i)), var);
    const double g = d.gain.to_double() - 1.0, o = d.g_offset.to_double();
    gm += g;
    gv += g * g;
    om += o;
    ov += o * o;
    gmax = std::max(gmax, std::fabs(g));
    ASSERT_NE(d.rng, 0u);
  }
  gm /= n;
  om /= n;
  const double gs = std::sqrt(gv / n - gm * gm), os = std::sqrt(ov / n - om * om);
  EXPECT_NEAR(gm, 0.0, 5 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(om, 0.0, 5 * 3.0 / std::sqrt(n));
  EXPECT_NEAR(gs / 0.02, 1.0, 0.02);
  EXPECT_NEAR(os / 3.0, 1.0, 0.02);
  EXPECT_LE(gmax, std::sqrt(12.0) * 0.02 + 1e-9);
  // Distinct (base, index) pairs give distinct generator states here.
  std::vector<std::uint32_t> states;
  for (std::uint64_t i = 0; i < 1000; ++i) states.push_back(make_device(device_seed(7, i), var).rng);
  std::sort(states.begin(), states.end());
  EXPECT_EQ(std::unique(states.begin(), states.end()), states.end());
}

// ============================================================================
// Batch
// ============================================================================

TEST(ModelBatch, BitIdenticalToSingleDevices) {
  const table t = synthetic_table();
  const std::size_t n = 5000;  // not a multiple of the 1024 block
  device_batch b = make_batch(n, 11, variation_params::from_si(0.03, 2e-6), q_state::from_double(0.3), false);
  // Mixed noise flags: blocks with none, some and all noisy devices.
  for (std::size_t i = 0; i < n; ++i)
    b.noise[i] = static_cast<std::uint8_t>((i >= 1024 && i < 2048) ? 0 : ((i >= 3072 && i < 4096) || i % 3 == 0));
  std::vector<device> single;
  for (std::size_t i = 0; i < n; ++i) single.push_back(b.at(i));
  std::mt19937 gen(5);
  std::uniform_int_distribution<std::int32_t> vd(-32768, 32767);
  std::vector<std::int16_t> v(n);
  std::vector<std::int64_t> cur(n);
  for (int stepn = 0; stepn < 200; ++stepn) {
    for (auto& x : v) x = static_cast<std::int16_t>(stepn % 17 == 0 ? (stepn % 2 ? 32767 : -32768) : vd(gen));
    step_batch(t.view(), b, v.data());
    read_current_batch(t.view(), b, v.data(), cur.data());
    for (std::size_t i = 0; i < n; ++i) {
      step(t.view(), single[i], q_volt::from_raw(v[i]));
      ASSERT_EQ(b.state[i], single[i].state.raw()) << "device " << i << " step " << stepn;
      ASSERT_EQ(b.fluct[i], single[i].fluct.raw()) << "device " << i << " step " << stepn;
      ASSERT_EQ(b.rng[i], single[i].rng);
      ASSERT_EQ(cur[i], read_current(t.view(), single[i], q_volt::from_raw(v[i])).raw());
    }
  }
}

// step_batch_volts is step_batch on q_volt::from_double of each voltage
// (nearest, saturated beyond ±16 V), across block edges; a NaN or infinite
// voltage anywhere steps no device at all.
TEST(ModelBatch, VoltsEqualRawAfterFromDouble) {
  const table t = synthetic_table();
  const std::size_t n = 2500;
  device_batch a = make_batch(n, 12, variation_params::from_si(0.03, 2e-6), q_state::from_double(0.4));
  device_batch b = a;
  std::mt19937 gen(6);
  std::uniform_real_distribution<double> vd(-20.0, 20.0);
  std::vector<double> volts(n);
  std::vector<std::int16_t> raw(n);
  for (int stepn = 0; stepn < 50; ++stepn) {
    for (std::size_t i = 0; i < n; ++i) {
      volts[i] = stepn % 7 == 0 ? (i % 2 ? 1e300 : -1e300) : vd(gen);
      raw[i] = q_volt::from_double(volts[i]).raw();
    }
    step_batch(t.view(), a, raw.data());
    ASSERT_TRUE(step_batch_volts(t.view(), b, volts.data()));
    ASSERT_EQ(a.state, b.state) << "step " << stepn;
    ASSERT_EQ(a.fluct, b.fluct);
    ASSERT_EQ(a.rng, b.rng);
  }
  // Edges of the conversion: half-LSB ties either side of zero, the last
  // in-range values, just past them, and far past them.
  const double q = q_volt::lsb;
  const std::vector<double> edges = {0.0, -0.0, 0.5 * q, -0.5 * q, 1.5 * q, -1.5 * q, 0.49999 * q,
                                     -0.50001 * q, 16.0 - q, 16.0 - 0.5 * q, 16.0 - 0.50001 * q, 16.0,
                                     -16.0, -16.0 - 0.5 * q, -16.0 - 0.50001 * q, -16.0 - q, 1e9, -1e9,
                                     std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                                     std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min()};
  for (std::size_t i = 0; i < n; ++i) {
    volts[i] = i < edges.size() ? edges[i] : edges[i % edges.size()] + static_cast<double>(i % 5) * q;
    raw[i] = q_volt::from_double(volts[i]).raw();
  }
  step_batch(t.view(), a, raw.data());
  ASSERT_TRUE(step_batch_volts(t.view(), b, volts.data()));
  ASSERT_EQ(a.state, b.state);
  ASSERT_EQ(a.fluct, b.fluct);
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    volts[n - 1] = bad;  // the last device, in the last (partial) block
    const device_batch before = b;
    EXPECT_FALSE(step_batch_volts(t.view(), b, volts.data()));
    EXPECT_EQ(b.state, before.state);
    EXPECT_EQ(b.rng, before.rng);
  }
}

}  // namespace
