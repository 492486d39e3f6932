#pragma once
// Owning response table (host side: calibration, loading, tests). The step
// never touches it; it works on table_view (table_view.hpp).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/table_view.hpp"

namespace ionrail::model {

struct table {
  table_grid grid{};
  std::vector<q_delta> drift;  // [n_s · n_v], s-major
  std::vector<q_delta> noise;  // [n_s · n_v], s-major
  std::vector<q_delta> fluct;  // [n_s · n_v], s-major
  std::vector<q_cond> g;       // [n_s]
  q_coeff fluct_rho = q_coeff::zero();   // no fast fluctuation unless calibrated
  q_coeff fluct_kick = q_coeff::zero();

  table() = default;
  // Zero-filled arrays sized for `grid` (which should pass check_grid).
  explicit table(const table_grid& gr)
      : grid(gr), drift(gr.cells(), q_delta::zero()), noise(gr.cells(), q_delta::zero()),
        fluct(gr.cells(), q_delta::zero()), g(static_cast<std::size_t>(gr.n_s), q_cond::zero()) {}

  std::size_t index(int i_s, int i_v) const noexcept {
    return static_cast<std::size_t>(i_s) * static_cast<std::size_t>(grid.n_v) + static_cast<std::size_t>(i_v);
  }
  q_delta& drift_at(int i_s, int i_v) noexcept { return drift[index(i_s, i_v)]; }
  q_delta& noise_at(int i_s, int i_v) noexcept { return noise[index(i_s, i_v)]; }
  q_delta& fluct_at(int i_s, int i_v) noexcept { return fluct[index(i_s, i_v)]; }
  q_delta drift_at(int i_s, int i_v) const noexcept { return drift[index(i_s, i_v)]; }
  q_delta noise_at(int i_s, int i_v) const noexcept { return noise[index(i_s, i_v)]; }
  q_delta fluct_at(int i_s, int i_v) const noexcept { return fluct[index(i_s, i_v)]; }

  // ρ and √(1 − ρ²) of the fast fluctuation, from ρ in [0, 1) (setup).
  void set_fluct_rho(double rho) noexcept;

  table_view view() const noexcept {
    return table_view{grid, drift.data(), noise.data(), fluct.data(), g.data(), fluct_rho, fluct_kick};
  }

  table_status check() const noexcept {
    const table_status gs = check_grid(grid);
    if (gs != table_status::ok) return gs;
    if (drift.size() != grid.cells() || noise.size() != grid.cells() || fluct.size() != grid.cells() ||
        g.size() != static_cast<std::size_t>(grid.n_s))
      return table_status::bad_size;
    return check_table(view());
  }
  std::uint64_t checksum() const noexcept { return table_checksum(view()); }
};

inline void table::set_fluct_rho(double rho) noexcept {
  rho = rho < 0.0 ? 0.0 : (rho > 1.0 ? 1.0 : rho);
  fluct_rho = q_coeff::from_double(rho);
  const double r = fluct_rho.to_double();
  const double kick = 1.0 - r * r;
  fluct_kick = q_coeff::from_double(kick > 0.0 ? std::sqrt(kick) : 0.0);
}

// Fill a table from functions of physical values (setup/calibration/tests):
//   drift_fn(s, V) and noise_fn(s, V) in state units per model step,
//   g_fn(s) in microsiemens; s in [0, 1], V in volts at the grid points.
// Each value is converted with from_double (nearest, ties up, saturated).
// The fast fluctuation is off (fluct = 0, ρ = 0); add_fluct sets it.
template <class DriftFn, class NoiseFn, class GFn>
table make_table(const table_grid& grid, DriftFn&& drift_fn, NoiseFn&& noise_fn, GFn&& g_fn) {
  table t(grid);
  for (int i = 0; i < grid.n_s; ++i) {
    const double s = grid.s_at(i);
    for (int j = 0; j < grid.n_v; ++j) {
      const double v = grid.v_at(j);
      t.drift_at(i, j) = q_delta::from_double(drift_fn(s, v));
      t.noise_at(i, j) = q_delta::from_double(noise_fn(s, v));
    }
    t.g[static_cast<std::size_t>(i)] = q_cond::from_double(g_fn(s));
  }
  return t;
}

// Sets the fast fluctuation of a table: sigma_fn(s, V) = stationary Std[δ]
// in state units at the grid points, and its per-step autocorrelation ρ.
template <class SigmaFn>
void add_fluct(table& t, SigmaFn&& sigma_fn, double rho) {
  for (int i = 0; i < t.grid.n_s; ++i)
    for (int j = 0; j < t.grid.n_v; ++j) t.fluct_at(i, j) = q_delta::from_double(sigma_fn(t.grid.s_at(i), t.grid.v_at(j)));
  t.set_fluct_rho(rho);
}

}  // namespace ionrail::model
