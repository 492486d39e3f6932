#pragma once
// Owning response table (host side: calibration, loading, tests). The step
// never touches it; it works on table_view (table_view.hpp).
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
  std::vector<q_cond> g;       // [n_s]

  table() = default;
  // Zero-filled arrays sized for `grid` (which should pass check_grid).
  explicit table(const table_grid& gr)
      : grid(gr), drift(gr.cells(), q_delta::zero()), noise(gr.cells(), q_delta::zero()),
        g(static_cast<std::size_t>(gr.n_s), q_cond::zero()) {}

  std::size_t index(int i_s, int i_v) const noexcept {
    return static_cast<std::size_t>(i_s) * static_cast<std::size_t>(grid.n_v) + static_cast<std::size_t>(i_v);
  }
  q_delta& drift_at(int i_s, int i_v) noexcept { return drift[index(i_s, i_v)]; }
  q_delta& noise_at(int i_s, int i_v) noexcept { return noise[index(i_s, i_v)]; }
  q_delta drift_at(int i_s, int i_v) const noexcept { return drift[index(i_s, i_v)]; }
  q_delta noise_at(int i_s, int i_v) const noexcept { return noise[index(i_s, i_v)]; }

  table_view view() const noexcept { return table_view{grid, drift.data(), noise.data(), g.data()}; }

  table_status check() const noexcept {
    const table_status gs = check_grid(grid);
    if (gs != table_status::ok) return gs;
    if (drift.size() != grid.cells() || noise.size() != grid.cells() ||
        g.size() != static_cast<std::size_t>(grid.n_s))
      return table_status::bad_size;
    return check_table(view());
  }
  std::uint64_t checksum() const noexcept { return table_checksum(view()); }
};

// Fill a table from functions of physical values (setup/calibration/tests):
//   drift_fn(s, V) and noise_fn(s, V) in state units per model step,
//   g_fn(s) in microsiemens; s in [0, 1], V in volts at the grid points.
// Each value is converted with from_double (nearest, ties up, saturated).
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

}  // namespace ionrail::model
