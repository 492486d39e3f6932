#pragma once
// Float64 reference of the same model, for analysis and for the error bound
// of the fixed-point step (docs/compact-model-format.md §8). Same table (its
// entries converted exactly to double), same grid, same clamps, same
// generator; the interpolation, the gain and noise products and the normal
// deviate z = c / sigma_c are computed in double without the fixed-point
// roundings. Host only.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ionrail/model/device.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/rng.hpp"
#include "ionrail/model/table_view.hpp"

namespace ionrail::model {

class reference_table {
 public:
  explicit reference_table(const table_view& t)
      : grid_(t.grid), drift_(t.grid.cells()), noise_(t.grid.cells()), fluct_(t.grid.cells()),
        g_(static_cast<std::size_t>(t.grid.n_s)), rho_(t.fluct_rho.to_double()), kick_(t.fluct_kick.to_double()) {
    for (std::size_t i = 0; i < t.grid.cells(); ++i) {
      drift_[i] = t.drift[i].to_double();
      noise_[i] = t.noise[i].to_double();
      fluct_[i] = t.fluct[i].to_double();
    }
    for (std::size_t i = 0; i < g_.size(); ++i) g_[i] = t.g[i].to_double();
  }

  const table_grid& grid() const noexcept { return grid_; }

  // Exact bilinear interpolation (in double) at s in [0, 1] (clamped) and V in
  // volts (clamped to the grid); state units per model step.
  double drift_at(double s, double v) const noexcept { return bilinear(drift_, s, v); }
  double noise_at(double s, double v) const noexcept { return bilinear(noise_, s, v); }
  double fluct_at(double s, double v) const noexcept { return bilinear(fluct_, s, v); }
  double rho() const noexcept { return rho_; }
  double kick() const noexcept { return kick_; }
  // Tabulated G(s), µS.
  double g_at(double s) const noexcept {
    const axis a = s_axis(s);
    return g_[a.i] + (g_[a.i + 1] - g_[a.i]) * a.f;
  }

 private:
  struct axis {
    std::size_t i;
    double f;  // in [0, 1]
  };
  axis s_axis(double s) const noexcept {
    const double x = clamp(s, 0.0, 1.0) * static_cast<double>(grid_.n_s - 1);
    auto i = static_cast<std::size_t>(x);
    if (i > static_cast<std::size_t>(grid_.n_s - 2)) i = static_cast<std::size_t>(grid_.n_s - 2);
    return axis{i, x - static_cast<double>(i)};
  }
  axis v_axis(double v) const noexcept {
    const double span = static_cast<double>(grid_.v_half_span_raw()) * q_volt::lsb;
    const double step = static_cast<double>(std::int32_t{1} << grid_.v_log2_step) * q_volt::lsb;
    const double x = (clamp(v, -span, span) + span) / step;
    auto i = static_cast<std::size_t>(x);
    if (i > static_cast<std::size_t>(grid_.n_v - 2)) i = static_cast<std::size_t>(grid_.n_v - 2);
    return axis{i, x - static_cast<double>(i)};
  }
  double bilinear(const std::vector<double>& t, double s, double v) const noexcept {
    const axis a = s_axis(s), b = v_axis(v);
    const std::size_t nv = static_cast<std::size_t>(grid_.n_v);
    const double* p = t.data() + a.i * nv + b.i;
    const double r0 = p[0] + (p[1] - p[0]) * b.f;
    const double r1 = p[nv] + (p[nv + 1] - p[nv]) * b.f;
    return r0 + (r1 - r0) * a.f;
  }
  static double clamp(double x, double lo, double hi) noexcept { return x < lo ? lo : (x > hi ? hi : x); }

  table_grid grid_;
  std::vector<double> drift_, noise_, fluct_, g_;
  double rho_, kick_;
};

struct reference_device {
  double state;       // s in [0, 1]
  double fluct;       // δ in [-1, 1]
  double gain;
  double g_offset;    // µS
  std::uint32_t rng;  // same generator and recipe as the fixed model
  bool noise;

  static reference_device from(const device& d) noexcept {
    return reference_device{d.state.to_double(), d.fluct.to_double(), d.gain.to_double(), d.g_offset.to_double(), d.rng, d.noise};
  }
};

// The ideal normal deviate of a centred four-uniform sum (no Q24 rounding).
inline double reference_z(std::int32_t c) noexcept { return static_cast<double>(c) / gauss4_sigma_c; }

// s' = clamp(s + gain · D(s, V) + [noise] N(s, V) · z1, 0, 1),
// δ' = clamp(ρ δ + [noise] κ F(s, V) · z2, -1, 1), V in volts.
inline double reference_step(const reference_table& t, reference_device& d, double v) noexcept {
  double next = d.state + d.gain * t.drift_at(d.state, v);
  double next_fluct = t.rho() * d.fluct;
  if (d.noise) {
    next += t.noise_at(d.state, v) * reference_z(gauss4_centered(d.rng));
    next_fluct += t.kick() * t.fluct_at(d.state, v) * reference_z(gauss4_centered(d.rng));
  }
  d.state = next < 0.0 ? 0.0 : (next > 1.0 ? 1.0 : next);
  d.fluct = next_fluct < -1.0 ? -1.0 : (next_fluct > 1.0 ? 1.0 : next_fluct);
  return d.state;
}

// Read state s + δ clamped to [0, 1]; effective conductance (µS), clamped
// like the fixed model, and current (µA).
inline double reference_read_state(const reference_device& d) noexcept {
  const double r = d.state + d.fluct;
  return r < 0.0 ? 0.0 : (r > 1.0 ? 1.0 : r);
}
inline double reference_conductance(const reference_table& t, const reference_device& d) noexcept {
  const double g = t.g_at(reference_read_state(d)) + d.g_offset;
  return g < 0.0 ? 0.0 : (g > q_cond::max_value ? q_cond::max_value : g);
}
inline double reference_current(const reference_table& t, const reference_device& d, double v) noexcept {
  return reference_conductance(t, d) * v;
}

}  // namespace ionrail::model
