#pragma once
// Response-table layout (format version 2), the non-owning view used by the
// step, validation and the checksum. No heap, no exceptions, no <vector>: this
// header is what a microcontroller or a CUDA kernel includes.
//
// Grid (docs/compact-model-format.md §3):
//   s axis: s_i = i · 2^-k, i = 0 .. n_s-1, n_s = 2^k + 1 (covers [0, 1]).
//   V axis: V_j = (j - h) · 2^m LSB of q_volt, j = 0 .. n_v-1, n_v = 2h + 1
//           (symmetric about 0), with h · 2^m <= 2^15 (at most ±16 V).
//   Arrays, s-major (V fastest):  drift[i · n_v + j], noise[i · n_v + j],
//   fluct[i · n_v + j] (q_delta, state units: per-step drift and noise of the
//   slow state s, stationary standard deviation of the fast fluctuation δ)
//   and g[i] (q_cond, µS); scalars fluct_rho = ρ and fluct_kick = √(1 − ρ²)
//   (q_coeff) of the fluctuation update δ' = ρ δ + √(1 − ρ²) σ(s, V) z.
// Index and fraction come from the raw inputs by shifts and masks:
//   s: i = s_raw >> (30 - k), f_s = s_raw & (2^(30-k) - 1)
//   V: u = v_raw + h·2^m,     j = u >> m,        f_v = u & (2^m - 1)
// with u clamped to [0, 2h·2^m] first (V outside the grid saturates to its
// edge) and, at the last grid point, the index clamped to n-2 with the
// fraction equal to one full step (so the last point is hit exactly).
#include <cstddef>
#include <cstdint>

#include "ionrail/hd.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"

namespace ionrail::model {

// 1: one state variable (drift, noise, g). 2: adds the fast fluctuation
// (fluct array, fluct_rho, fluct_kick).
inline constexpr std::uint32_t table_format_version = 2;

// Limits the grid must respect (checked by check_grid).
inline constexpr int s_log2_step_min = 1;   // at least 3 s points
inline constexpr int s_log2_step_max = 16;  // at most 65537 s points
inline constexpr int v_log2_step_max = 15;  // V spacing at most 16 V
inline constexpr std::int32_t v_half_span_max_raw = std::int32_t{1} << 15;  // 16 V
inline constexpr std::size_t max_cells = std::size_t{1} << 28;             // n_s · n_v

struct table_grid {
  std::int32_t n_s;          // number of s points, = 2^s_log2_step + 1
  std::int32_t n_v;          // number of V points, odd, >= 3
  std::int32_t s_log2_step;  // k: s spacing 2^-k
  std::int32_t v_log2_step;  // m: V spacing 2^m LSB = 2^(m-11) V

  // A grid with s spacing 2^-k and V spacing 2^m LSB covering ±v_half_points
  // steps (n_v = 2 · v_half_points + 1).
  IONRAIL_HD static constexpr table_grid make(int k, int m, int v_half_points) noexcept {
    return table_grid{(std::int32_t{1} << k) + 1, 2 * v_half_points + 1, k, m};
  }
  // Right shift from q_state raw to the s index (also the number of fraction bits).
  IONRAIL_HD constexpr int s_frac_bits() const noexcept { return q_state::frac_bits - s_log2_step; }
  // h · 2^m: the raw voltage of the last V point; the first is its negative.
  IONRAIL_HD constexpr std::int32_t v_half_span_raw() const noexcept { return ((n_v - 1) / 2) << v_log2_step; }
  IONRAIL_HD constexpr std::size_t cells() const noexcept {
    return static_cast<std::size_t>(n_s) * static_cast<std::size_t>(n_v);
  }
  // Axis values as raw integers (q_state raw; q_volt LSB, which for the last V
  // point may be 32768 = +16 V, one past the int16 range).
  IONRAIL_HD constexpr std::int32_t s_raw_at(int i) const noexcept { return i << s_frac_bits(); }
  IONRAIL_HD constexpr std::int32_t v_raw_at(int j) const noexcept {
    return (j << v_log2_step) - v_half_span_raw();
  }
  // The same in physical units (setup/analysis).
  constexpr double s_at(int i) const noexcept { return static_cast<double>(s_raw_at(i)) * q_state::lsb; }
  constexpr double v_at(int j) const noexcept { return static_cast<double>(v_raw_at(j)) * q_volt::lsb; }

  friend constexpr bool operator==(const table_grid& a, const table_grid& b) noexcept {
    return a.n_s == b.n_s && a.n_v == b.n_v && a.s_log2_step == b.s_log2_step && a.v_log2_step == b.v_log2_step;
  }
  friend constexpr bool operator!=(const table_grid& a, const table_grid& b) noexcept { return !(a == b); }
};

// The default grid: 65 s points (Δs = 1/64) × 65 V points (0.5 V over ±16 V).
inline constexpr table_grid default_grid = table_grid::make(6, 10, 32);

struct table_view {
  table_grid grid;
  const q_delta* drift;  // [n_s · n_v], E[Δs | s_i, V_j] per model step
  const q_delta* noise;  // [n_s · n_v], Std[Δs | s_i, V_j] per model step, >= 0
  const q_delta* fluct;  // [n_s · n_v], stationary Std[δ | s_i, V_j], >= 0
  const q_cond* g;       // [n_s], G(s_i) in µS, >= 0
  q_coeff fluct_rho;     // ρ in [0, 1]: per-step autocorrelation of δ
  q_coeff fluct_kick;    // √(1 − ρ²) in [0, 1], stored so no step takes a root
};

enum class table_status : int {
  ok = 0,
  bad_s_step,      // s_log2_step outside [1, 16]
  bad_n_s,         // n_s != 2^s_log2_step + 1
  bad_v_step,      // v_log2_step outside [0, 15]
  bad_n_v,         // n_v even or < 3
  v_span_too_wide, // (n_v - 1)/2 · 2^m > 2^15 (beyond ±16 V)
  too_large,       // n_s · n_v > 2^28 entries (indices are int32)
  null_array,      // a view pointer is null
  negative_noise,  // a noise entry < 0
  negative_g,      // a conductance entry < 0
  bad_size,        // an owning table's arrays do not have the grid's sizes
  bad_version,     // format version differs from table_format_version
  bad_checksum,    // checksum differs from the one recorded
  negative_fluct,  // a fluctuation standard deviation < 0
  bad_coeff,       // fluct_rho or fluct_kick outside [0, 1]
};

inline const char* describe(table_status s) noexcept {
  switch (s) {
    case table_status::ok: return "ok";
    case table_status::bad_s_step: return "s grid step 2^-k needs 1 <= k <= 16";
    case table_status::bad_n_s: return "s grid needs n_s = 2^k + 1 points (axis [0, 1])";
    case table_status::bad_v_step: return "V grid step 2^m LSB needs 0 <= m <= 15";
    case table_status::bad_n_v: return "V grid needs an odd number of points, at least 3 (symmetric axis)";
    case table_status::v_span_too_wide: return "V grid extends beyond ±16 V ((n_v-1)/2 · 2^m > 32768 LSB)";
    case table_status::too_large: return "table has more than 2^28 (s, V) entries";
    case table_status::null_array: return "table array pointer is null";
    case table_status::negative_noise: return "noise table has a negative standard deviation";
    case table_status::negative_g: return "conductance table has a negative entry";
    case table_status::bad_size: return "table arrays do not match the grid sizes";
    case table_status::bad_version: return "table format version does not match this build";
    case table_status::bad_checksum: return "table checksum mismatch (corrupt or edited table)";
    case table_status::negative_fluct: return "fluctuation table has a negative standard deviation";
    case table_status::bad_coeff: return "fluct_rho and fluct_kick must lie in [0, 1] (raw [0, 2^30])";
  }
  return "unknown table status";
}

constexpr table_status check_grid(const table_grid& g) noexcept {
  if (g.s_log2_step < s_log2_step_min || g.s_log2_step > s_log2_step_max) return table_status::bad_s_step;
  if (g.n_s != (std::int32_t{1} << g.s_log2_step) + 1) return table_status::bad_n_s;
  if (g.v_log2_step < 0 || g.v_log2_step > v_log2_step_max) return table_status::bad_v_step;
  if (g.n_v < 3 || g.n_v % 2 == 0 || g.n_v > 2 * v_half_span_max_raw + 1) return table_status::bad_n_v;
  if (static_cast<std::int64_t>((g.n_v - 1) / 2) << g.v_log2_step > v_half_span_max_raw)
    return table_status::v_span_too_wide;
  if (g.cells() > max_cells) return table_status::too_large;
  return table_status::ok;
}
static_assert(check_grid(default_grid) == table_status::ok, "default grid is valid");

// Grid, pointers and entry signs; O(n_s · n_v). The step assumes a view that
// passed this check.
inline table_status check_table(const table_view& t) noexcept {
  const table_status gs = check_grid(t.grid);
  if (gs != table_status::ok) return gs;
  if (t.drift == nullptr || t.noise == nullptr || t.fluct == nullptr || t.g == nullptr) return table_status::null_array;
  const std::size_t n = t.grid.cells();
  for (std::size_t i = 0; i < n; ++i)
    if (t.noise[i].raw() < 0) return table_status::negative_noise;
  for (std::size_t i = 0; i < n; ++i)
    if (t.fluct[i].raw() < 0) return table_status::negative_fluct;
  if (t.fluct_rho.raw() < 0 || t.fluct_rho.raw() > coeff_one_raw) return table_status::bad_coeff;
  if (t.fluct_kick.raw() < 0 || t.fluct_kick.raw() > coeff_one_raw) return table_status::bad_coeff;
  for (std::int32_t i = 0; i < t.grid.n_s; ++i)
    if (t.g[i].raw() < 0) return table_status::negative_g;
  return table_status::ok;
}

// FNV-1a 64 over, in this order, each as 4 bytes little-endian (two's
// complement): table_format_version; the fraction bits of q_state, q_volt,
// q_delta, q_cond; n_s, n_v, s_log2_step, v_log2_step; fluct_rho, fluct_kick;
// then every raw entry of drift, of noise, of fluct (all s-major) and of g.
// Independent of the host's byte order.
namespace detail {
inline constexpr std::uint64_t fnv1a64_basis = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t fnv1a64_prime = 0x100000001b3ull;
constexpr std::uint64_t fnv1a64_u32(std::uint64_t h, std::uint32_t w) noexcept {
  for (int b = 0; b < 4; ++b) {
    h ^= static_cast<std::uint64_t>((w >> (8 * b)) & 0xFFu);
    h *= fnv1a64_prime;
  }
  return h;
}
}  // namespace detail

inline std::uint64_t table_checksum(const table_view& t) noexcept {
  using detail::fnv1a64_u32;
  std::uint64_t h = detail::fnv1a64_basis;
  h = fnv1a64_u32(h, table_format_version);
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(q_state::frac_bits));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(q_volt::frac_bits));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(q_delta::frac_bits));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(q_cond::frac_bits));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.grid.n_s));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.grid.n_v));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.grid.s_log2_step));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.grid.v_log2_step));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.fluct_rho.raw()));
  h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.fluct_kick.raw()));
  if (check_grid(t.grid) != table_status::ok || t.drift == nullptr || t.noise == nullptr || t.fluct == nullptr ||
      t.g == nullptr)
    return h;
  const std::size_t n = t.grid.cells();
  for (std::size_t i = 0; i < n; ++i) h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.drift[i].raw()));
  for (std::size_t i = 0; i < n; ++i) h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.noise[i].raw()));
  for (std::size_t i = 0; i < n; ++i) h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.fluct[i].raw()));
  for (std::int32_t i = 0; i < t.grid.n_s; ++i) h = fnv1a64_u32(h, static_cast<std::uint32_t>(t.g[i].raw()));
  return h;
}

}  // namespace ionrail::model
