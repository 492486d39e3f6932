#include <ionrail/runs/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <ionrail/kmc/physics.hpp>

namespace ionrail::runs {

loop_figures iv_loop(const std::vector<kmc::sample>& trace) {
  loop_figures f;
  for (std::size_t k = 0; k + 1 < trace.size(); ++k) {
    const auto &a = trace[k], &b = trace[k + 1];
    const double mid_v = 0.5 * (a.v + b.v);
    const double piece = 0.5 * (a.i_a + b.i_a) * (b.v - a.v);
    (mid_v >= 0 ? f.lobe_area_positive : f.lobe_area_negative) += piece;
    if ((a.v <= 0 && b.v > 0) || (a.v >= 0 && b.v < 0) || (a.v == 0 && b.v == 0)) {
      const double w = a.v == b.v ? 0.0 : -a.v / (b.v - a.v);
      f.max_abs_current_at_zero_v_a = std::max(f.max_abs_current_at_zero_v_a, std::fabs(a.i_a + w * (b.i_a - a.i_a)));
    }
  }
  for (const auto& s : trace) f.max_abs_current_a = std::max(f.max_abs_current_a, std::fabs(s.i_a));
  f.lobe_area_positive = std::fabs(f.lobe_area_positive);
  f.lobe_area_negative = std::fabs(f.lobe_area_negative);
  return f;
}

line_fit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  line_fit f;
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return f;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sxx += (x[i] - mx) * (x[i] - mx), sxy += (x[i] - mx) * (y[i] - my);
  // Equal x give a rounding-noise sxx, not a zero one: test them exactly.
  const bool distinct = std::any_of(x.begin(), x.end(), [&](double v) { return v != x.front(); });
  if (!distinct || !(sxx > 0) || !std::isfinite(sxx) || !std::isfinite(sxy)) return f;
  f.determined = true;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  if (x.size() > 2) {
    double ss = 0;
    for (std::size_t i = 0; i < x.size(); ++i) ss += std::pow(y[i] - f.intercept - f.slope * x[i], 2);
    f.slope_error = std::sqrt(ss / (n - 2) / sxx);
  }
  return f;
}

arrhenius_fit fit_arrhenius(const std::vector<double>& temperature_k, const std::vector<double>& y,
                            bool falls_with_temperature) {
  arrhenius_fit f;
  for (std::size_t k = 0; k < y.size(); ++k)
    if (y[k] > 0) f.inv_t_per_k.push_back(1.0 / temperature_k[k]), f.ln_y.push_back(std::log(y[k]));
  f.line = fit_line(f.inv_t_per_k, f.ln_y);
  f.activation_energy_ev = (falls_with_temperature ? 1.0 : -1.0) * f.line.slope * kmc::boltzmann_ev_per_k;
  f.standard_error_ev = f.line.slope_error * kmc::boltzmann_ev_per_k;
  f.determined = f.line.determined && std::isfinite(f.activation_energy_ev);
  f.error_determined = f.determined && f.inv_t_per_k.size() > 2 && std::isfinite(f.standard_error_ev);
  return f;
}

double state_at(const std::vector<kmc::sample>& trace, double t) {
  for (std::size_t k = 0; k + 1 < trace.size(); ++k)
    if (trace[k].t_s <= t && t <= trace[k + 1].t_s) {
      const double span = trace[k + 1].t_s - trace[k].t_s;
      const double w = span > 0 ? (t - trace[k].t_s) / span : 0.0;
      return trace[k].state + w * (trace[k + 1].state - trace[k].state);
    }
  return t < trace.front().t_s ? trace.front().state : trace.back().state;
}

relax_figures relaxation(const std::vector<kmc::sample>& trace, double relax_start_s, double s_eq) {
  relax_figures r;
  if (trace.empty()) return r;
  auto at = [&](double t) { return state_at(trace, t); };
  r.excess_at_start = at(relax_start_s) - s_eq;
  // Undetermined (NaN, null in summary.json) when the run ends before
  // release + 10 s or there was no excess to retain: never the last value held.
  const bool reaches = trace.back().t_s >= relax_start_s + 10.0 - 1e-9;
  r.retained_after_10s = reaches && r.excess_at_start != 0 ? (at(relax_start_s + 10.0) - s_eq) / r.excess_at_start
                                                           : std::numeric_limits<double>::quiet_NaN();
  r.final_excess = trace.back().state - s_eq;
  std::vector<double> x, y;
  const double floor_excess = 0.05 * std::fabs(r.excess_at_start);
  for (const auto& s : trace) {
    if (s.t_s < relax_start_s) continue;
    const double excess = (s.state - s_eq) * (r.excess_at_start < 0 ? -1.0 : 1.0);
    if (excess <= floor_excess) break;  // noise floor reached: stop before the fit sees it
    x.push_back(s.t_s - relax_start_s);
    y.push_back(std::log(excess));
  }
  r.points = static_cast<int>(x.size());
  const line_fit f = fit_line(x, y);
  if (r.points >= 3 && f.slope < 0) r.tau_s = -1.0 / f.slope;
  return r;
}

}  // namespace ionrail::runs
