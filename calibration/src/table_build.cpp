#include <ionrail/calibration/table_build.hpp>

#include <algorithm>
#include <cmath>

#include <ionrail/model_io/input_error.hpp>

namespace ionrail::calibration {
namespace {

// The grid of the model that matches the bins: s spacing 2^-k, V spacing 2^m LSB.
model::table_grid grid_of(const transition_bins& b) {
  const int k = static_cast<int>(std::lround(-std::log2(b.ds)));
  const int m = static_cast<int>(std::lround(std::log2(b.dv / model::q_volt::lsb)));
  return model::table_grid::make(k, m, (b.n_v - 1) / 2);
}

}  // namespace

void fill_unvisited(std::vector<double>& values, const std::vector<int>& seen, int ns, int nv, bool drift_rule) {
  auto index = [nv](int i, int j) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(nv) + static_cast<std::size_t>(j); };
  std::vector<int> done = seen;
  for (int j = 0; j < nv; ++j) {
    int first = ns, last = -1;
    for (int i = 0; i < ns; ++i)
      if (seen[index(i, j)]) first = std::min(first, i), last = std::max(last, i);
    for (int i = 0; i < ns; ++i) {
      if (seen[index(i, j)]) continue;
      for (int d = 1; d < ns; ++d) {
        const int lo = i - d, hi = i + d;
        const int src = lo >= 0 && seen[index(lo, j)] ? lo : (hi < ns && seen[index(hi, j)] ? hi : -1);
        if (src < 0) continue;
        double v = values[index(src, j)];
        if (drift_rule && i > last) v = std::min(v, 0.0);
        if (drift_rule && i < first) v = std::max(v, 0.0);
        values[index(i, j)] = v;
        done[index(i, j)] = 1;
        break;
      }
    }
  }
  for (int j = 0; j < nv; ++j) {
    if (done[index(0, j)]) continue;
    for (int d = 1; d < nv; ++d) {
      const int lo = j - d, hi = j + d;
      const int src = lo >= 0 && done[index(0, lo)] ? lo : (hi < nv && done[index(0, hi)] ? hi : -1);
      if (src < 0) continue;
      for (int i = 0; i < ns; ++i) values[index(i, j)] = values[index(i, src)];
      break;
    }
  }
}

table_build build_table(const transition_bins& bins, const kmc::readout_params& readout, double s_eq,
                        double equilibrium_variance, int min_samples, int state_variables) {
  table_build out;
  out.min_samples = min_samples;
  out.state_variables = state_variables;
  out.equilibrium_variance = equilibrium_variance;
  const model::table_grid grid = grid_of(bins);
  if (model::check_grid(grid) != model::table_status::ok)
    throw input_error(std::string("calibration grid: ") + model::describe(model::check_grid(grid)));
  const int ns = bins.n_s, nv = bins.n_v;
  std::vector<double> drift(bins.count.size(), 0.0), noise(bins.count.size(), 0.0);
  out.samples = bins.count;
  out.visited.assign(bins.count.size(), 0);
  std::vector<int> noise_seen(bins.count.size(), 0), fluct_seen(bins.count.size(), 0);
  std::vector<double> fluct(bins.count.size(), 0.0);
  // The fast fluctuation's mean reversion is taken out of the drift (see
  // transition_bins), at the ρ measured at the bin's own voltage; with one
  // state variable there is no δ and nothing to take out.
  out.reversion_rho.assign(static_cast<std::size_t>(nv), 0.0);
  for (int j = 0; j < nv; ++j)
    out.reversion_rho[static_cast<std::size_t>(j)] =
        state_variables == 1 ? 0.0 : std::clamp(bins.fluct_rho_at(j, min_samples), 0.0, 1.0);
  for (std::size_t k = 0; k < bins.count.size(); ++k) {
    const double reversion = state_variables == 1 ? 0.0 : 1.0 - out.reversion_rho[k % static_cast<std::size_t>(nv)];
    if (bins.fluct_count[k] >= min_samples) {
      fluct[k] = std::sqrt(bins.fluct_sum[k] / static_cast<double>(bins.fluct_count[k]));
      fluct_seen[k] = 1;
    }
    if (bins.count[k] >= min_samples) {
      drift[k] = (bins.sum[k] + reversion * bins.dev_sum[k]) / static_cast<double>(bins.count[k]);
      out.visited[k] = 1;
    }
    if (bins.noise_count[k] >= min_samples) {
      noise[k] = std::sqrt(bins.noise_sum[k] / static_cast<double>(bins.noise_count[k]));
      noise_seen[k] = 1;
    }
  }
  if (std::none_of(out.visited.begin(), out.visited.end(), [](int v) { return v != 0; }))
    throw input_error(std::string("calibration: no (state, V) bin received the ") + std::to_string(min_samples) +
                      " transitions a table entry needs: raise calibration.runs, calibration.duration_s or "
                      "calibration.devices, or coarsen the grid (calibration.state_bits, calibration.v_step_v)");
  // The fill rule (fill_unvisited), for drift, noise and fluctuation alike.
  fill_unvisited(drift, out.visited, ns, nv, true);
  fill_unvisited(noise, noise_seen, ns, nv, false);
  fill_unvisited(fluct, fluct_seen, ns, nv, false);
  if (state_variables == 1) std::fill(fluct.begin(), fluct.end(), 0.0);
  // The slow state's noise is what accumulates: the lagged variance per step
  // less the fast fluctuation's share of it, never below zero.
  out.fluct_rho = state_variables == 1 ? 0.0 : std::clamp(bins.fluct_rho(), 0.0, 1.0);
  const double lag = bins.lag_steps;
  const double fast_share = 2 * (1 - std::pow(out.fluct_rho, lag)) / lag;
  for (std::size_t k = 0; k < noise.size(); ++k)
    noise[k] = std::sqrt(std::max(0.0, noise[k] * noise[k] - fast_share * fluct[k] * fluct[k]));

  // Diagnostics: the restoring rate at rest and the stationary variance the
  // model's noise implies there (σ² / (1 − (1 − k)²)), next to the KMC's.
  const int j0 = (nv - 1) / 2;
  const int i0 = std::clamp(static_cast<int>(std::lround(s_eq / bins.ds)), 1, ns - 2);
  out.restoring_per_step = -(drift[bins.index(i0 + 1, j0)] - drift[bins.index(i0 - 1, j0)]) / (2 * bins.ds);
  const double k = std::clamp(out.restoring_per_step, 1e-9, 1.0);
  // Without a restoring drift at rest (k <= 0, a table from too few runs)
  // the linear formula diverges (247 was written once); a state in [0, 1]
  // varies by at most 1/4, which bounds it.
  out.model_equilibrium_variance =
      std::min(0.25, noise[bins.index(i0, j0)] * noise[bins.index(i0, j0)] / (1 - (1 - k) * (1 - k)) +
                         fluct[bins.index(i0, j0)] * fluct[bins.index(i0, j0)]);
  out.noise_scale = 1.0;

  out.table = model::make_table(
      grid,
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return drift[bins.index(i, j)];
      },
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return noise[bins.index(i, j)];
      },
      [&](double s) {
        return readout.conductance(s, s_eq) / model::cond_unit_siemens;
      });
  model::add_fluct(
      out.table,
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return fluct[bins.index(i, j)];
      },
      out.fluct_rho);
  return out;
}

}  // namespace ionrail::calibration
