#pragma once
// The fixed-point model step and read-out (docs/compact-model-format.md §4-5).
// Integers only: no floating point, no division, no heap, no exceptions, no
// virtual calls. Every function here is IONRAIL_HD.
//
// Interpolation (bilinear, two lerps, V first then s):
//   lerp(a, b, f, n) = a + round_shift((b - a) · f, n)        (0 <= f <= 2^n)
//   r0 = lerp(T[i][j],   T[i][j+1],   f_v, m)
//   r1 = lerp(T[i+1][j], T[i+1][j+1], f_v, m)
//   T(s, V) = lerp(r0, r1, f_s, 30 - k)
// Exact at grid points; between them within 1 LSB of the exact bilinear value
// (each lerp rounds once, by at most 1/2 LSB, and the first error is carried
// through convex weights). The result lies between the smallest and largest
// corner, so it never overflows its format.
//
// Step (all intermediate sums in int64; 35 bits would do):
//   D = T_drift(s, V), N = T_noise(s, V), F = T_fluct(s, V)
//   s' = saturate_range(s + round_shift(D · gain, 30)
//                         + [noise] round_shift(N · z1, 24), 0, 2^30)
//   δ' = saturate_range(round_shift(δ · ρ, 30)
//                         + [noise] round_shift(round_shift(F · κ, 30) · z2, 24),
//                       -2^30, 2^30)
// with κ = √(1 − ρ²) (table scalars, q_coeff) and z1 = gauss4(rng), then
// z2 = gauss4(rng) (rng.hpp), both drawn only when the noise flag is on.
// All products fit int64: |D·gain|, |δ·ρ| < 2^62; F·κ < 2^61; N·z, F'·z < 2^57.
// Read:  r     = saturate_range(s + δ, 0, 2^30)             (read state)
//        G_eff = saturate_range(G(r) + offset, 0, 2^31 - 1)  (q_cond, µS)
//        I     = G_eff · V exactly (q_current, µA).
#include <cstdint>

#include "ionrail/hd.hpp"
#include "ionrail/model/device.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/rng.hpp"
#include "ionrail/model/table_view.hpp"

namespace ionrail::model {
namespace detail {

// Everything the step needs from a view, precomputed (uniform over devices).
struct step_consts {
  const q_delta* drift;
  const q_delta* noise;
  const q_delta* fluct;
  const q_cond* g;
  std::int32_t rho;      // q_coeff raw
  std::int32_t kick;     // q_coeff raw
  std::int32_t n_v;
  std::int32_t s_shift;  // 30 - k: s fraction bits
  std::int32_t s_last;   // n_s - 2: largest s cell index
  std::int32_t v_shift;  // m: V fraction bits
  std::int32_t v_last;   // n_v - 2: largest V cell index
  std::int32_t v_span;   // h · 2^m: raw V of the last grid point
};

IONRAIL_HD constexpr step_consts make_consts(const table_view& t) noexcept {
  return step_consts{t.drift,
                     t.noise,
                     t.fluct,
                     t.g,
                     t.fluct_rho.raw(),
                     t.fluct_kick.raw(),
                     t.grid.n_v,
                     t.grid.s_frac_bits(),
                     t.grid.n_s - 2,
                     t.grid.v_log2_step,
                     t.grid.n_v - 2,
                     t.grid.v_half_span_raw()};
}

IONRAIL_HD constexpr std::int32_t min_i32(std::int32_t a, std::int32_t b) noexcept { return a < b ? a : b; }

// s index and fraction. s outside [0, 1] is looked up at the nearest end.
struct s_cell {
  std::int32_t i;  // 0 .. n_s - 2
  std::int32_t f;  // 0 .. 2^s_shift (2^s_shift only at s = 1)
};
IONRAIL_HD constexpr s_cell locate_s(const step_consts& c, std::int32_t s_raw) noexcept {
  const std::int32_t s = saturate_range<std::int32_t>(s_raw, 0, state_one_raw);
  const std::int32_t i = min_i32(s >> c.s_shift, c.s_last);
  return s_cell{i, s - (i << c.s_shift)};
}

// Table cell (flat index of the lower-left corner) and both fractions.
struct cell {
  std::int32_t base;  // i_s · n_v + i_v
  std::int32_t f_s;   // 0 .. 2^s_shift
  std::int32_t f_v;   // 0 .. 2^v_shift
};
IONRAIL_HD constexpr cell locate(const step_consts& c, std::int32_t s_raw, std::int32_t v_raw) noexcept {
  const s_cell sc = locate_s(c, s_raw);
  const std::int32_t u = saturate_range<std::int32_t>(v_raw + c.v_span, 0, 2 * c.v_span);  // |u| <= 2^17
  const std::int32_t j = min_i32(u >> c.v_shift, c.v_last);
  return cell{sc.i * c.n_v + j, sc.f, u - (j << c.v_shift)};
}

// a + round_shift((b - a) · f, n): |b - a| < 2^32, f <= 2^n, n <= 29, so the
// product stays below 2^61.
IONRAIL_HD constexpr std::int64_t lerp(std::int64_t a, std::int64_t b, std::int64_t f, int n) noexcept {
  return a + round_shift((b - a) * f, n);
}

template <class Q>
IONRAIL_HD constexpr std::int64_t bilerp(const Q* t, const step_consts& c, const cell& x) noexcept {
  const std::int32_t b = x.base, u = x.base + c.n_v;
  const std::int64_t r0 = lerp(t[b].raw(), t[b + 1].raw(), x.f_v, c.v_shift);
  const std::int64_t r1 = lerp(t[u].raw(), t[u + 1].raw(), x.f_v, c.v_shift);
  return lerp(r0, r1, x.f_s, c.s_shift);
}

// One step on raw values; shared by step() and step_batch() so both give the
// same bits. Returns s' and updates fluct (δ) in place. With Noise = false
// the noise path is compiled out (δ only decays); with Noise = true, noise_on
// (0 or 1) selects it without a branch.
template <bool Noise>
IONRAIL_HD constexpr std::int32_t step_raw(const step_consts& c, std::int32_t s, std::int32_t& fluct, std::int32_t v,
                                           std::int32_t gain, std::uint32_t& rng, std::uint32_t noise_on) noexcept {
  const cell x = locate(c, s, v);
  const std::int64_t d = bilerp(c.drift, c, x);
  std::int64_t next = std::int64_t{s} + round_shift(d * gain, q_gain::frac_bits);
  std::int64_t next_fluct = round_shift(std::int64_t{fluct} * c.rho, q_coeff::frac_bits);
  if constexpr (Noise) {
    const std::int64_t n = bilerp(c.noise, c, x);
    const std::int64_t f = round_shift(bilerp(c.fluct, c, x) * c.kick, q_coeff::frac_bits);
    std::uint32_t r = rng;
    const std::int64_t z1 = gauss4_scale_z(gauss4_centered(r)).raw();
    const std::int64_t z2 = gauss4_scale_z(gauss4_centered(r)).raw();
    const std::int64_t on = -static_cast<std::int64_t>(noise_on);
    next += round_shift(n * z1, q_z::frac_bits) & on;
    next_fluct += round_shift(f * z2, q_z::frac_bits) & on;
    rng = noise_on != 0 ? r : rng;
  } else {
    (void)rng;
    (void)noise_on;
  }
  fluct = static_cast<std::int32_t>(saturate_range<std::int64_t>(next_fluct, -state_one_raw, state_one_raw));
  return static_cast<std::int32_t>(saturate_range<std::int64_t>(next, 0, state_one_raw));
}

// The read state s + δ, saturated to [0, 1].
IONRAIL_HD constexpr std::int32_t read_state_raw(std::int32_t s, std::int32_t fluct) noexcept {
  return static_cast<std::int32_t>(saturate_range<std::int64_t>(std::int64_t{s} + fluct, 0, state_one_raw));
}

// G(s + δ) + offset, saturated to [0, q_cond max], raw µS.
IONRAIL_HD constexpr std::int32_t conductance_raw(const step_consts& c, std::int32_t s, std::int32_t fluct,
                                                  std::int32_t offset) noexcept {
  const s_cell sc = locate_s(c, read_state_raw(s, fluct));
  const std::int64_t g = lerp(c.g[sc.i].raw(), c.g[sc.i + 1].raw(), sc.f, c.s_shift);
  return static_cast<std::int32_t>(saturate_range<std::int64_t>(g + offset, 0, int_max<std::int32_t>));
}

}  // namespace detail

// Interpolated table values (the view must pass check_table).
IONRAIL_HD constexpr q_delta drift_at(const table_view& t, q_state s, q_volt v) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  return q_delta::from_raw(static_cast<std::int32_t>(detail::bilerp(t.drift, c, detail::locate(c, s.raw(), v.raw()))));
}
IONRAIL_HD constexpr q_delta noise_at(const table_view& t, q_state s, q_volt v) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  return q_delta::from_raw(static_cast<std::int32_t>(detail::bilerp(t.noise, c, detail::locate(c, s.raw(), v.raw()))));
}
IONRAIL_HD constexpr q_delta fluct_at(const table_view& t, q_state s, q_volt v) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  return q_delta::from_raw(static_cast<std::int32_t>(detail::bilerp(t.fluct, c, detail::locate(c, s.raw(), v.raw()))));
}
// Tabulated G(s), interpolated, without the device offset.
IONRAIL_HD constexpr q_cond g_at(const table_view& t, q_state s) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  const detail::s_cell sc = detail::locate_s(c, s.raw());
  return q_cond::from_raw(static_cast<std::int32_t>(detail::lerp(t.g[sc.i].raw(), t.g[sc.i + 1].raw(), sc.f, c.s_shift)));
}

// The state the conductance is read from: s + δ saturated to [0, 1].
IONRAIL_HD constexpr q_state read_state(const device& d) noexcept {
  return q_state::from_raw(detail::read_state_raw(d.state.raw(), d.fluct.raw()));
}

// Effective conductance of a device: G(s + δ) + offset saturated to [0, max].
IONRAIL_HD constexpr q_cond conductance(const table_view& t, const device& d) noexcept {
  return q_cond::from_raw(
      detail::conductance_raw(detail::make_consts(t), d.state.raw(), d.fluct.raw(), d.g_offset.raw()));
}

// Advance a device by one model step at voltage v; returns the new slow state
// (d.fluct is updated too).
IONRAIL_HD constexpr q_state step(const table_view& t, device& d, q_volt v) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  std::int32_t f = d.fluct.raw();
  const std::int32_t s = d.noise ? detail::step_raw<true>(c, d.state.raw(), f, v.raw(), d.gain.raw(), d.rng, 1u)
                                 : detail::step_raw<false>(c, d.state.raw(), f, v.raw(), d.gain.raw(), d.rng, 0u);
  d.state = q_state::from_raw(s);
  d.fluct = q_fluct::from_raw(f);
  return d.state;
}

// Read current at voltage v (does not change the device): exact G_eff · V.
IONRAIL_HD constexpr q_current read_current(const table_view& t, const device& d, q_volt v) noexcept {
  return fixed_mul<q_current>(conductance(t, d), v);
}

}  // namespace ionrail::model
