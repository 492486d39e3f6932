#include <ionrail/calibration/fit.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <limits>
#include <sstream>
#include <tuple>
#include <utility>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/model_io/input_error.hpp>

#ifdef IONRAIL_HAVE_NLOPT
#include <nlopt.hpp>
#endif

namespace ionrail::calibration {

std::shared_ptr<const kmc::piecewise_linear_voltage> curve_drive(const fit_curve_spec& spec, const measured_curve& m) {
  std::shared_ptr<const kmc::piecewise_linear_voltage> drive;
  std::string name;
  if (!spec.waveform.empty()) {
    try {
      drive = kmc::read_waveform_csv(spec.waveform);
    } catch (const std::invalid_argument& e) {
      throw input_error(e.what());  // "FILE:LINE: ..." already
    }
    name = "the waveform " + spec.waveform;
  } else {
    if (!m.has_voltage())
      throw input_error(m.file + ":1: no v_v column and no waveform for this curve: expected the applied voltage, "
                                 "as a v_v column or as the curve's `waveform` file");
    if (m.t_s.size() < 2)
      throw input_error(m.file + ":" + std::to_string(m.line.back()) +
                        ": one row: the v_v column drives the model, expected at least two rows");
    if (m.t_s.front() != 0.0)
      throw input_error(m.file + ":" + std::to_string(m.line.front()) +
                        ": the first t_s must be 0 when the v_v column is the drive (the model starts at t = 0)");
    drive = std::make_shared<kmc::piecewise_linear_voltage>(m.t_s, m.v_v, m.file);
    name = "its v_v column";
  }
  check_within_drive(m, drive->end_time_s(), name);
  return drive;
}

fit_problem::fit_problem(kmc::device_params device, kmc::sim_params sim, fit_params fit, std::vector<fit_curve> curves)
    : device_(std::move(device)), sim_(std::move(sim)), fit_(std::move(fit)), curves_(std::move(curves)) {
  sim_.seed = fit_.seed;
  for (auto& c : curves_) {
    residual_count_ += c.measured.t_s.size();
    // Without uncertainties every point of a curve counts alike, scaled by
    // the curve's range so that curves in siemens and in amperes (or of
    // different sizes) weigh comparably.
    const auto [lo, hi] = std::minmax_element(c.measured.value.begin(), c.measured.value.end());
    double range = *hi - *lo;
    if (!(range > 0)) range = std::fabs(*hi);
    c.sigma_default = range > 0 ? range : 1.0;
  }
}

std::vector<std::size_t> fit_problem::curve_offsets() const {
  std::vector<std::size_t> o{0};
  for (const auto& c : curves_) o.push_back(o.back() + c.measured.t_s.size());
  return o;
}

std::vector<double> fit_problem::to_scaled(const std::vector<double>& values) const {
  std::vector<double> u(values.size());
  for (std::size_t k = 0; k < values.size(); ++k)
    u[k] = fit_.parameters[k].scale == fit_scale::log ? std::log10(values[k]) : values[k];
  return u;
}

std::vector<double> fit_problem::from_scaled(const std::vector<double>& u) const {
  std::vector<double> v(u.size());
  for (std::size_t k = 0; k < u.size(); ++k) v[k] = fit_.parameters[k].scale == fit_scale::log ? std::pow(10.0, u[k]) : u[k];
  return v;
}

std::vector<double> fit_problem::lower_scaled() const {
  std::vector<double> v;
  for (const auto& p : fit_.parameters) v.push_back(p.lower);
  return to_scaled(v);
}

std::vector<double> fit_problem::upper_scaled() const {
  std::vector<double> v;
  for (const auto& p : fit_.parameters) v.push_back(p.upper);
  return to_scaled(v);
}

std::vector<double> fit_problem::start_values() const {
  std::vector<double> v;
  for (const auto& p : fit_.parameters) v.push_back(p.start);
  return v;
}

kmc::device_params fit_problem::device_at(const std::vector<double>& values, std::size_t curve) const {
  kmc::device_params d = device_;
  for (std::size_t k = 0; k < values.size(); ++k) set_parameter(d, fit_.parameters[k].name, values[k]);
  if (curves_[curve].spec.temperature_k > 0) d.temperature_k = curves_[curve].spec.temperature_k;
  if (fit_.rails > 0) d.rails = fit_.rails;
  return d;
}

std::vector<std::vector<double>> fit_problem::model_curves(const std::vector<double>& values, int replicate,
                                                          double step_scale) const {
  std::vector<std::vector<double>> out(curves_.size());
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    const fit_curve& curve = curves_[c];
    // Each curve its own stream, the same at every evaluation.
    kmc::sim_params s = sim_;
    s.p_max *= step_scale;
    s.dt_s *= step_scale;
    s.dt_max_s *= step_scale;
    s.seed = fit_.seed + 1000003ull * c + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(replicate);
    const std::unique_ptr<kmc::engine> engine =
        backend_ ? std::make_unique<kmc::engine>(device_at(values, c), s, curve.drive, backend_)
                 : std::make_unique<kmc::engine>(device_at(values, c), s, curve.drive);
    kmc::engine& e = *engine;
    auto& y = out[c];
    y.reserve(curve.measured.t_s.size());
    for (double t : curve.measured.t_s) {
      if (t > e.time_s()) e.advance_to(t);
      const kmc::sample x = e.take_sample();
      y.push_back(curve.measured.quantity == measured_quantity::conductance ? x.g_s : x.i_a);
    }
  }
  return out;
}

std::vector<double> fit_problem::residuals(const std::vector<std::vector<double>>& model) const {
  std::vector<double> r;
  r.reserve(residual_count_);
  for (std::size_t c = 0; c < curves_.size(); ++c) {
    const auto& m = curves_[c].measured;
    for (std::size_t k = 0; k < m.t_s.size(); ++k) {
      const double sigma = m.has_sigma() ? m.sigma[k] : curves_[c].sigma_default;
      r.push_back(curves_[c].spec.weight * (model[c][k] - m.value[k]) / sigma);
    }
  }
  return r;
}

double sum_of_squares(const std::vector<double>& r) {
  double s = 0;
  for (double x : r) s += x * x;
  return s;
}

bool have_nlopt() {
#ifdef IONRAIL_HAVE_NLOPT
  return true;
#else
  return false;
#endif
}

#ifdef IONRAIL_HAVE_NLOPT
namespace {

// NLopt minimising `objective` from x with `opt` as set up. NLopt's C core
// cannot carry an exception: one thrown by the objective (an interruption)
// is kept, NLopt stopped, and it is rethrown here. The best value and point
// evaluated are returned with NLopt's result.
struct nlopt_outcome {
  nlopt::result result = nlopt::FAILURE;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> best_x;
  int evaluations = 0;
};
nlopt_outcome minimise_with(nlopt::opt& opt, std::vector<double> x,
                            const std::function<double(const std::vector<double>&)>& objective) {
  struct context {
    const std::function<double(const std::vector<double>&)>* objective;
    std::exception_ptr error;
    nlopt_outcome* out;
    nlopt::opt* opt;
  };
  nlopt_outcome out;
  context ctx{&objective, nullptr, &out, &opt};
  opt.set_min_objective(
      [](unsigned dim, const double* xs, double*, void* data) -> double {
        auto* c = static_cast<context*>(data);
        if (c->error) return std::numeric_limits<double>::max();
        try {
          const std::vector<double> u(xs, xs + dim);
          const double value = (*c->objective)(u);
          ++c->out->evaluations;
          if (value < c->out->best) {
            c->out->best = value;
            c->out->best_x = u;
          }
          return value;
        } catch (...) {
          c->error = std::current_exception();
          c->opt->force_stop();
          return std::numeric_limits<double>::max();
        }
      },
      &ctx);
  double value = 0;
  try {
    out.result = opt.optimize(x, value);
  } catch (const nlopt::forced_stop&) {
    out.result = nlopt::FORCED_STOP;
  } catch (const nlopt::roundoff_limited&) {
    out.result = nlopt::ROUNDOFF_LIMITED;
  }
  if (ctx.error) std::rethrow_exception(ctx.error);
  return out;
}

}  // namespace
#endif

optimiser_result optimise(const fit_problem& problem, const residual_function& residuals) {
#ifndef IONRAIL_HAVE_NLOPT
  (void)problem;
  (void)residuals;
  throw input_error("ionrail fit: this build has no NLopt (install Debian's libnlopt-cxx-dev, e.g. with "
                    "scripts/deps.sh, and configure again)");
#else
  const auto& f = problem.settings();
  const std::size_t n = problem.size();
  nlopt::algorithm a = nlopt::LN_BOBYQA;
  switch (f.algorithm) {
    case fit_algorithm::bobyqa: a = nlopt::LN_BOBYQA; break;
    case fit_algorithm::neldermead: a = nlopt::LN_NELDERMEAD; break;
    case fit_algorithm::sbplx: a = nlopt::LN_SBPLX; break;
    case fit_algorithm::cobyla: a = nlopt::LN_COBYLA; break;
  }
  // BOBYQA needs at least two parameters for its quadratic model; with one,
  // NLopt's own Nelder-Mead.
  if (a == nlopt::LN_BOBYQA && n < 2) a = nlopt::LN_NELDERMEAD;
  nlopt::opt opt(a, static_cast<unsigned>(n));
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  opt.set_lower_bounds(lo);
  opt.set_upper_bounds(hi);
  std::vector<double> step(n), xtol(n);
  for (std::size_t k = 0; k < n; ++k) {
    step[k] = 0.15 * (hi[k] - lo[k]);  // the first moves explore a good part of the box
    xtol[k] = f.rel_tolerance * (hi[k] - lo[k]);
  }
  opt.set_initial_step(step);
  opt.set_xtol_abs(xtol);
  opt.set_maxeval(f.max_evaluations);

  const nlopt_outcome o = minimise_with(opt, problem.to_scaled(problem.start_values()),
                                       [&](const std::vector<double>& u) { return sum_of_squares(residuals(u)); });
  // Every evaluation was NaN or infinite (no value is below the first best
  // of +inf): nothing to refine from. The caller's scale check refuses such
  // data first; this keeps the next step from indexing an empty point.
  if (o.best_x.empty())
    throw std::runtime_error("ionrail fit: none of the optimiser's " + std::to_string(o.evaluations) +
                             " evaluations gave a finite objective");
  optimiser_result r;
  r.best_u = o.best_x;
  r.best_objective = o.best;
  r.evaluations = o.evaluations;
  switch (o.result) {
    case nlopt::MAXEVAL_REACHED: r.stop_reason = "the evaluation limit (fit.max_evaluations) was reached"; break;
    case nlopt::XTOL_REACHED: r.stop_reason = "the parameters moved less than fit.rel_tolerance of their ranges"; break;
    case nlopt::FTOL_REACHED: r.stop_reason = "the objective stopped changing"; break;
    case nlopt::ROUNDOFF_LIMITED: r.stop_reason = "round-off limited"; break;
    case nlopt::SUCCESS: r.stop_reason = "converged"; break;
    default: r.stop_reason = "NLopt result " + std::to_string(static_cast<int>(o.result)); break;
  }
  return r;
#endif
}

void symmetric_eigen(std::vector<std::vector<double>> a, std::vector<double>& values,
                     std::vector<std::vector<double>>& vectors) {
  const std::size_t n = a.size();
  vectors.assign(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) vectors[i][i] = 1;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) off += a[i][j] * a[i][j];
    if (off < 1e-30) break;
    for (std::size_t p = 0; p < n; ++p)
      for (std::size_t q = p + 1; q < n; ++q) {
        if (a[p][q] == 0) continue;
        const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (std::size_t k = 0; k < n; ++k) {
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < n; ++k) {
          const double vkp = vectors[k][p], vkq = vectors[k][q];
          vectors[k][p] = c * vkp - s * vkq;
          vectors[k][q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x][x] < a[y][y]; });
  values.resize(n);
  std::vector<std::vector<double>> sorted(n, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    values[j] = a[order[j]][order[j]];
    for (std::size_t i = 0; i < n; ++i) sorted[i][j] = vectors[i][order[j]];
  }
  vectors = sorted;
}

std::vector<std::vector<double>> residual_jacobian(const fit_problem& problem, const residual_function& residuals,
                                                   const std::vector<double>& u, const std::vector<double>& r,
                                                   int* evaluations) {
  const std::size_t n = problem.size(), m = r.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  std::vector<std::vector<double>> jac(n, std::vector<double>(m));
  for (std::size_t k = 0; k < n; ++k) {
    const double h = problem.settings().jacobian_step * (hi[k] - lo[k]);
    std::vector<double> up = u, down = u;
    const bool can_up = u[k] + h <= hi[k], can_down = u[k] - h >= lo[k];
    std::vector<double> r_up = r, r_down = r;
    double span = 0;
    if (can_up) {
      up[k] += h;
      r_up = residuals(up);
      ++*evaluations;
      span += h;
    }
    if (can_down || !can_up) {
      down[k] -= h;
      r_down = residuals(down);
      ++*evaluations;
      span += h;
    }
    for (std::size_t i = 0; i < m; ++i) jac[k][i] = (r_up[i] - r_down[i]) / span;
  }
  return jac;
}

namespace {

// J^T J normalised by the ranges (so that its eigenvalues compare parameters
// of different units and scales), its eigen-decomposition, and which
// directions are null (eigenvalue below 1e-10 of the largest).
struct fisher {
  std::vector<std::vector<double>> normalised;
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  std::vector<bool> null;
};

fisher fisher_of(const fit_problem& problem, const std::vector<std::vector<double>>& jac) {
  const std::size_t n = jac.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  fisher f;
  f.normalised.assign(n, std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::size_t r = 0; r < jac[i].size(); ++r) s += jac[i][r] * jac[j][r];
      f.normalised[i][j] = s * (hi[i] - lo[i]) * (hi[j] - lo[j]);
    }
  symmetric_eigen(f.normalised, f.values, f.vectors);
  const double largest = f.values.empty() ? 0 : f.values.back();
  f.null.resize(n);
  for (std::size_t e = 0; e < n; ++e) f.null[e] = !(f.values[e] > 1e-10 * largest) || !(f.values[e] > 0);
  return f;
}

// Whether the problem fits both Ea and ν0 (present, their indices).
arrhenius_pair arrhenius_setup(const fit_problem& problem) {
  arrhenius_pair a;
  const auto& ps = problem.settings().parameters;
  bool have_ea = false, have_nu = false;
  for (std::size_t k = 0; k < ps.size(); ++k) {
    if (ps[k].name == fit_parameter_name::activation_energy_ev) a.ea = k, have_ea = true;
    if (ps[k].name == fit_parameter_name::attempt_frequency_hz) a.nu = k, have_nu = true;
  }
  a.present = have_ea && have_nu;
  return a;
}

// The curves' distinct temperatures (K), ascending.
std::vector<double> curve_temperatures(const fit_problem& problem) {
  std::vector<double> t;
  const std::vector<double> v = problem.start_values();
  for (std::size_t c = 0; c < problem.curves().size(); ++c) t.push_back(problem.device_at(v, c).temperature_k);
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

// T_ref: the harmonic mean of the curves' temperatures over their points (at
// one temperature, that one: where the curves fix the rate exactly).
double reference_temperature(const fit_problem& problem) {
  double inv_t = 0, points = 0;
  const std::vector<double> v = problem.start_values();
  for (std::size_t c = 0; c < problem.curves().size(); ++c) {
    const double w = static_cast<double>(problem.curves()[c].measured.t_s.size());
    inv_t += w / problem.device_at(v, c).temperature_k;
    points += w;
  }
  return points / inv_t;
}

// The covariance of (Ea, ln ν0) and of (Ea, ln Γ(T_ref)), ln Γ = ln ν0 − Ea / kB T_ref,
// from the scaled coordinates' covariance at values v.
struct arrhenius_covariance {
  double ea_ea = 0, nu_nu = 0, ea_nu = 0;  // Ea (eV), ln ν0
  double rate_rate = 0, ea_rate = 0;       // ln Γ(T_ref)
  double centred_correlation() const {
    const double d = std::sqrt(ea_ea * rate_rate);
    return d > 0 ? ea_rate / d : 0.0;
  }
};
// d Ea = ea d u_ea and d ln ν0 = ln_nu d u_nu at values v (the scaled
// coordinates' Jacobians).
struct arrhenius_scales {
  double ea = 1, ln_nu = 1;
};
arrhenius_scales arrhenius_scales_at(const fit_problem& problem, const arrhenius_pair& a, const std::vector<double>& v) {
  const auto& ps = problem.settings().parameters;
  return {ps[a.ea].scale == fit_scale::log ? v[a.ea] * std::log(10.0) : 1.0,
          ps[a.nu].scale == fit_scale::log ? std::log(10.0) : 1.0 / v[a.nu]};
}

arrhenius_covariance arrhenius_cov(const fit_problem& problem, const arrhenius_pair& a, const std::vector<double>& v,
                                   const std::vector<std::vector<double>>& cov_u, double t_ref_k) {
  const arrhenius_scales sc = arrhenius_scales_at(problem, a, v);
  const double g_e = sc.ea, g_n = sc.ln_nu;
  const double b = 1.0 / (kmc::boltzmann_ev_per_k * t_ref_k);
  arrhenius_covariance c;
  c.ea_ea = g_e * g_e * cov_u[a.ea][a.ea];
  c.nu_nu = g_n * g_n * cov_u[a.nu][a.nu];
  c.ea_nu = g_e * g_n * cov_u[a.ea][a.nu];
  c.rate_rate = c.nu_nu - 2 * b * c.ea_nu + b * b * c.ea_ea;
  c.ea_rate = c.ea_nu - b * c.ea_ea;
  return c;
}

}  // namespace

fit_uncertainty uncertainty_from_jacobian(const fit_problem& problem, const std::vector<double>& u,
                                          const std::vector<std::vector<double>>& jac, const std::vector<double>& r,
                                          const std::vector<std::vector<double>>& model_covariance) {
  const std::size_t n = problem.size(), m = r.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  fit_uncertainty out;
  out.dof = static_cast<int>(m) - static_cast<int>(n);
  out.s2 = out.dof > 0 ? sum_of_squares(r) / out.dof : std::numeric_limits<double>::infinity();
  {
    const auto offsets = problem.curve_offsets();
    double weighted = 0, total = 0;
    for (std::size_t c = 0; c + 1 < offsets.size(); ++c) {
      double num = 0, den = 0, ss = 0;
      for (std::size_t i = offsets[c]; i < offsets[c + 1]; ++i) {
        den += r[i] * r[i];
        if (i + 1 < offsets[c + 1]) num += r[i] * r[i + 1];
      }
      ss = den;
      const double rho = den > 0 ? std::min(num / den, 0.95) : 0.0;
      out.lag1_autocorrelation.push_back(rho);
      weighted += ss * (rho > 0 ? (1 + rho) / (1 - rho) : 1.0);
      total += ss;
    }
    out.correlation_inflation = total > 0 ? weighted / total : 1.0;
  }
  const fisher f = fisher_of(problem, jac);
  out.eigenvalues = f.values;
  out.identifiable.assign(n, true);
  out.why_not.assign(n, "");
  // Pseudo-inverse of the normalised matrix without its null directions.
  std::vector<std::vector<double>> inv(n, std::vector<double>(n, 0.0));
  for (std::size_t e = 0; e < n; ++e) {
    if (f.null[e]) {
      for (std::size_t k = 0; k < n; ++k)
        if (f.vectors[k][e] * f.vectors[k][e] > 0.1) {
          out.identifiable[k] = false;
          out.why_not[k] = "the measured curves do not change with it (a null direction of the Fisher matrix)";
        }
      continue;
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) inv[i][j] += f.vectors[i][e] * f.vectors[j][e] / f.values[e];
  }
  out.covariance_u.assign(n, std::vector<double>(n));
  out.sigma_u.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      out.covariance_u[i][j] = out.s2 * out.correlation_inflation * inv[i][j] * (hi[i] - lo[i]) * (hi[j] - lo[j]);
  out.covariance_model_u.assign(n, std::vector<double>(n, 0.0));
  out.sigma_model_u.assign(n, 0.0);
  if (!model_covariance.empty())
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        out.covariance_model_u[i][j] = model_covariance[i][j];
        out.covariance_u[i][j] += model_covariance[i][j];
      }
      out.sigma_model_u[i] = std::sqrt(std::max(0.0, model_covariance[i][i]));
    }
  for (std::size_t k = 0; k < n; ++k) {
    out.sigma_u[k] = std::sqrt(std::max(0.0, out.covariance_u[k][k]));
    if (out.identifiable[k] && !(out.sigma_u[k] <= hi[k] - lo[k])) {
      out.identifiable[k] = false;
      out.why_not[k] = "its uncertainty exceeds its bound range";
    }
    if (!out.identifiable[k]) out.sigma_u[k] = std::numeric_limits<double>::infinity();
  }
  out.correlation.assign(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double d = std::sqrt(out.covariance_u[i][i] * out.covariance_u[j][j]);
      out.correlation[i][j] = i == j ? 1.0 : (d > 0 ? out.covariance_u[i][j] / d : 0.0);
    }
  // Two parameters this correlated are fixed by the curves only in one
  // combination: the finite-difference Jacobian of a KMC objective never
  // shows an exact null direction (the steps differ, the draws diverge), and
  // along such a valley its noise decides where the optimum lands, many
  // linearised sigmas away (seen with Ea and nu0 at one temperature, and at
  // 300 and 330 K, correlations 0.998).
  // The activation energy and the attempt frequency enter the curves only
  // through the hop rate ν0 exp(−Ea / kB T) at each curve's temperature. At
  // one temperature that is all the curves can fix, whatever their quality:
  // neither is identifiable alone (said so, not left to a noisy test). At
  // several, Ea is an Arrhenius line's slope and ln ν0 its intercept at
  // 1/T = 0, far outside the data, so the two are correlated above 0.99
  // however good the data; the test is made on Ea against ln Γ(T_ref), the
  // line's value within the data.
  const arrhenius_pair pair = arrhenius_setup(problem);
  const bool paired = pair.present && std::isfinite(out.sigma_u[pair.ea]) && std::isfinite(out.sigma_u[pair.nu]);
  auto is_pair = [&](std::size_t i, std::size_t j) {
    return pair.present && ((i == pair.ea && j == pair.nu) || (i == pair.nu && j == pair.ea));
  };
  std::vector<std::string> confounded(n);
  if (pair.present) {
    const std::vector<double> temps = curve_temperatures(problem);
    if (temps.size() < 2) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "at one temperature (%.6g K) the curves depend on the activation energy and the attempt frequency "
                    "only through the hop rate (see arrhenius); curves at two or more temperatures separate them",
                    temps.empty() ? 0.0 : temps.front());
      confounded[pair.ea] = confounded[pair.nu] = buf;
    } else if (paired) {
      const double t_ref = reference_temperature(problem);
      const double rho = arrhenius_cov(problem, pair, problem.from_scaled(u), out.covariance_u, t_ref).centred_correlation();
      if (std::fabs(rho) > max_identifiable_correlation) {
        char buf[200];
        std::snprintf(buf, sizeof buf,
                      "confounded with the hop rate at %.4g K (correlation %.4f of Ea with ln Γ): the temperatures "
                      "measured do not separate the activation energy from the attempt frequency",
                      t_ref, rho);
        confounded[pair.ea] = confounded[pair.nu] = buf;
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (i != j && !is_pair(i, j) && std::isfinite(out.sigma_u[i]) && std::isfinite(out.sigma_u[j]) &&
          std::fabs(out.correlation[i][j]) > max_identifiable_correlation && confounded[i].empty()) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "confounded with %s (correlation %.4f): the curves fix only a combination of the two",
                      to_string(problem.settings().parameters[j].name), out.correlation[i][j]);
        confounded[i] = buf;
      }
  for (std::size_t k = 0; k < n; ++k)
    if (!confounded[k].empty()) {
      out.identifiable[k] = false;
      out.why_not[k] = confounded[k];
      out.sigma_u[k] = std::numeric_limits<double>::infinity();
    }
  return out;
}

namespace {

// The Gauss-Newton step -(J^T J)^+ J^T r in scaled coordinates along the
// directions the data determine only: a null direction of the Fisher matrix,
// or one whose sigma sqrt(noise / eigenvalue) is wider than the whole box (a
// pair the curves see only in combination, where a step would follow the
// noise), is not moved along. *small: along every determined direction the
// step is below converged_fraction_of_sigma of the sigma there.
std::vector<double> determined_step(const fit_problem& problem, const fisher& f,
                                    const std::vector<std::vector<double>>& jac, const std::vector<double>& r,
                                    double noise, bool* small) {
  const std::size_t n = problem.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  std::vector<double> g(n, 0.0);  // normalised J^T r
  for (std::size_t k = 0; k < n; ++k) {
    double s = 0;
    for (std::size_t i = 0; i < r.size(); ++i) s += jac[k][i] * r[i];
    g[k] = s * (hi[k] - lo[k]);
  }
  std::vector<double> delta(n, 0.0);
  *small = std::isfinite(noise);  // no residual degrees of freedom: no scale, only descent decides
  for (std::size_t e = 0; e < n; ++e) {
    if (f.null[e]) continue;
    if (std::isfinite(noise) && noise / f.values[e] > 1.0) continue;
    double proj = 0;
    for (std::size_t k = 0; k < n; ++k) proj += f.vectors[k][e] * g[k];
    for (std::size_t k = 0; k < n; ++k) delta[k] -= f.vectors[k][e] * proj / f.values[e];
    if (!(std::fabs(proj / f.values[e]) <= converged_fraction_of_sigma * std::sqrt(noise / f.values[e]))) *small = false;
  }
  for (std::size_t k = 0; k < n; ++k) delta[k] *= hi[k] - lo[k];
  return delta;
}

std::vector<std::vector<double>> without_flat_arrhenius_direction(const fit_problem& problem,
                                                                  const std::vector<double>& u,
                                                                  std::vector<std::vector<double>> jac);

// The Gauss-Newton shift -(J^T J)^+ J^T dr in scaled coordinates along every
// direction that is not null (no noise scale: none is too wide).
std::vector<double> gauss_newton_shift(const fit_problem& problem, const fisher& f,
                                       const std::vector<std::vector<double>>& jac, const std::vector<double>& dr) {
  bool small = false;
  return determined_step(problem, f, jac, dr, std::numeric_limits<double>::infinity(), &small);
}

std::vector<double> difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

}  // namespace

model_draw model_noise_covariance(const fit_problem& problem, const seeded_residual_function& residuals,
                                  const std::vector<double>& u, const std::vector<double>& r,
                                  const std::vector<std::vector<double>>& jac, int replicates, int steps) {
  const std::size_t n = problem.size();
  model_draw out;
  out.covariance_u.assign(n, std::vector<double>(n, 0.0));
  out.linearised_covariance_u = out.covariance_u;
  if (replicates <= 0) return out;
  steps = std::max(1, steps);
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  const fit_uncertainty here = uncertainty_from_jacobian(problem, u, jac, r);
  const double noise = here.s2 * here.correlation_inflation;
  const auto step_jac = without_flat_arrhenius_direction(problem, u, jac);
  const fisher f = fisher_of(problem, step_jac);
  bool small = false;
  // The fit's own draw is where its walk stopped, within a quarter sigma of
  // its fixed point: the replicates are compared with that fixed point.
  const std::vector<double> own = determined_step(problem, f, step_jac, r, noise, &small);
  auto add = [&](std::vector<std::vector<double>>& cov, const std::vector<double>& d) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) cov[i][j] += d[i] * d[j] / (2.0 * replicates);
  };
  for (int k = 1; k <= replicates; ++k) {
    std::vector<double> at = u;
    for (int s = 0; s < steps; ++s) {
      const std::vector<double> rk = residuals(at, k);
      ++out.evaluations;
      const std::vector<double> d = determined_step(problem, f, step_jac, rk, noise, &small);
      for (std::size_t i = 0; i < n; ++i) at[i] = std::clamp(at[i] + d[i], lo[i], hi[i]);
      if (s == 0) add(out.linearised_covariance_u, difference(d, own));
      else if (small) break;
    }
    std::vector<double> shift(n);
    for (std::size_t i = 0; i < n; ++i) shift[i] = at[i] - (u[i] + own[i]);
    add(out.covariance_u, shift);
  }
  return out;
}

step_check_result sync_step_check(const fit_problem& problem, const stepped_residual_function& residuals,
                                  const std::vector<double>& u, const std::vector<double>& r,
                                  const std::vector<std::vector<double>>& jac, int seeds) {
  const std::size_t n = problem.size();
  step_check_result out;
  if (seeds <= 0 || problem.sim().solver != kmc::method::sync) return out;
  out.seeds = seeds;
  const fisher f = fisher_of(problem, jac);
  const arrhenius_pair a = arrhenius_setup(problem);
  const arrhenius_scales sc = a.present ? arrhenius_scales_at(problem, a, problem.from_scaled(u)) : arrhenius_scales{};
  const double b = a.present ? 1.0 / (kmc::boltzmann_ev_per_k * reference_temperature(problem)) : 0.0;
  std::vector<std::vector<double>> shifts;
  std::vector<double> rate_shifts;
  for (int k = 0; k < seeds; ++k) {
    const std::vector<double> full = k == 0 ? r : residuals(u, k, 1.0);
    const std::vector<double> half = residuals(u, k, 0.5);
    out.evaluations += k == 0 ? 1 : 2;
    std::vector<double> d = gauss_newton_shift(problem, f, jac, difference(half, full));
    for (double& x : d) x *= 2.0;  // first order in the step: halving it removes half the error
    if (a.present) rate_shifts.push_back(sc.ln_nu * d[a.nu] - b * sc.ea * d[a.ea]);
    shifts.push_back(std::move(d));
  }
  auto mean_and_error = [&](const std::vector<double>& x) {
    double m = 0, ss = 0;
    for (double v : x) m += v;
    m /= static_cast<double>(x.size());
    for (double v : x) ss += (v - m) * (v - m);
    const double se = x.size() > 1 ? std::sqrt(ss / static_cast<double>(x.size() - 1) / static_cast<double>(x.size()))
                                    : std::numeric_limits<double>::infinity();
    return std::pair<double, double>{m, se};
  };
  for (std::size_t p = 0; p < n; ++p) {
    std::vector<double> x;
    for (const auto& d : shifts) x.push_back(d[p]);
    const auto [m, se] = mean_and_error(x);
    out.shift_u.push_back(m);
    out.noise_u.push_back(se);
  }
  if (a.present) std::tie(out.rate_shift_relative, out.rate_noise_relative) = mean_and_error(rate_shifts);
  return out;
}

fit_uncertainty gauss_newton_uncertainty(const fit_problem& problem, const residual_function& residuals,
                                         const std::vector<double>& best_u, const std::vector<double>& best_residuals) {
  int evaluations = 0;
  const auto jac = residual_jacobian(problem, residuals, best_u, best_residuals, &evaluations);
  fit_uncertainty out = uncertainty_from_jacobian(problem, best_u, jac, best_residuals);
  out.evaluations = evaluations;
  return out;
}

namespace {

// At one temperature the curves depend on Ea and ν0 only through the hop
// rate: the direction d ln ν0 = d Ea / kB T is exactly flat, but a finite-
// difference Jacobian (Ea's step changes the rate more than ν0's, so their
// columns are not exactly proportional) and the KMC noise give it a little
// curvature, along which a Gauss-Newton step would follow the noise. The
// Jacobian with that direction projected out (its rows for Ea and ν0), at
// the point u.
std::vector<std::vector<double>> without_flat_arrhenius_direction(const fit_problem& problem,
                                                                  const std::vector<double>& u,
                                                                  std::vector<std::vector<double>> jac) {
  const arrhenius_pair a = arrhenius_setup(problem);
  if (!a.present || curve_temperatures(problem).size() != 1) return jac;
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  const arrhenius_scales sc = arrhenius_scales_at(problem, a, problem.from_scaled(u));
  const double t = reference_temperature(problem);
  // The flat direction in range-normalised coordinates, unit length.
  double w_e = 1.0 / sc.ea / (hi[a.ea] - lo[a.ea]);
  double w_n = 1.0 / (kmc::boltzmann_ev_per_k * t * sc.ln_nu) / (hi[a.nu] - lo[a.nu]);
  const double norm = std::hypot(w_e, w_n);
  w_e /= norm, w_n /= norm;
  for (std::size_t i = 0; i < jac[a.ea].size(); ++i) {
    const double je = jac[a.ea][i] * (hi[a.ea] - lo[a.ea]), jn = jac[a.nu][i] * (hi[a.nu] - lo[a.nu]);
    const double along = w_e * je + w_n * jn;
    jac[a.ea][i] = (je - w_e * along) / (hi[a.ea] - lo[a.ea]);
    jac[a.nu][i] = (jn - w_n * along) / (hi[a.nu] - lo[a.nu]);
  }
  return jac;
}

}  // namespace

const char* to_string(refine_stop s) {
  switch (s) {
    case refine_stop::converged: return "converged: the next step was below a quarter sigma";
    case refine_stop::step_refused: return "the next step was refused (it raised the objective too much)";
    case refine_stop::steps_reached: break;
  }
  return "fit.refine_steps reached";
}

refined_fit refine_gauss_newton(const fit_problem& problem, const residual_function& residuals,
                                const std::vector<double>& u0, const std::vector<double>& r0, int steps) {
  const std::size_t n = problem.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  refined_fit out;
  out.u = u0;
  out.r = r0;
  double lowest = sum_of_squares(r0);
  for (int step = 0;; ++step) {
    const auto jac = residual_jacobian(problem, residuals, out.u, out.r, &out.evaluations);
    out.uncertainty = uncertainty_from_jacobian(problem, out.u, jac, out.r);
    out.jacobian = jac;
    if (step >= steps) {
      out.stop = refine_stop::steps_reached;
      break;
    }
    // The Gauss-Newton step, through the pseudo-inverse. Converged: along
    // every direction the data determine (the Fisher eigenvectors; a
    // confounded pair's combination included), the step is a small part of
    // the sigma there, sqrt(s2 F / eigenvalue).
    const auto step_jac = without_flat_arrhenius_direction(problem, out.u, jac);
    const fisher f = fisher_of(problem, step_jac);
    const double noise = out.uncertainty.s2 * out.uncertainty.correlation_inflation;
    bool small = false;
    const std::vector<double> delta = determined_step(problem, f, step_jac, out.r, noise, &small);
    if (small) {
      out.stop = refine_stop::converged;
      break;
    }
    // The full step is accepted unless it is significantly worse: the
    // common-random-number objective is rough (each parameter change
    // re-draws part of the model's hops), with local dips of a few units
    // that would otherwise stop the walk wherever it started. The secant
    // Jacobian (steps of several sigma) smooths them, so its Gauss-Newton
    // fixed point does not depend on the start. A shorter step must lower
    // the objective.
    bool accepted = false;
    const double current = sum_of_squares(out.r);
    lowest = std::min(lowest, current);
    for (double scale : {1.0, 0.5, 0.25}) {
      std::vector<double> u = out.u;
      bool moved = false;
      for (std::size_t k = 0; k < n; ++k) {
        u[k] = std::clamp(out.u[k] + scale * delta[k], lo[k], hi[k]);
        moved = moved || u[k] != out.u[k];
      }
      if (!moved) break;
      const std::vector<double> r = residuals(u);
      ++out.evaluations;
      // The allowance is over the lowest objective of the walk, so that
      // accepted rises cannot add up.
      const double allowed =
          scale == 1.0 && std::isfinite(noise) ? std::max(current, lowest + rough_objective_allowance * noise) : current;
      if (sum_of_squares(r) < allowed) {
        out.u = u;
        out.r = r;
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      out.stop = refine_stop::step_refused;
      break;
    }
    ++out.accepted_steps;
  }
  out.uncertainty.evaluations = out.evaluations;
  return out;
}

std::string history_text(const std::vector<fit_evaluation>& history) {
  std::string out;
  char buf[40];
  for (const auto& e : history) {
    out += "u";
    for (double x : e.u) {
      std::snprintf(buf, sizeof buf, " %a", x);
      out += buf;
    }
    out += "\nr";
    for (double x : e.residuals) {
      std::snprintf(buf, sizeof buf, " %a", x);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

std::vector<fit_evaluation> parse_history(const std::string& text, std::size_t parameters, std::size_t residuals,
                                          const std::string& what) {
  std::vector<fit_evaluation> out;
  std::istringstream in(text);
  std::string line;
  auto numbers = [&](const std::string& l, char tag, std::size_t count) {
    if (l.empty() || l[0] != tag) throw input_error(what + ": damaged evaluation history (expected a '" + tag + "' line)");
    std::vector<double> v;
    const char* p = l.c_str() + 1;
    while (*p) {
      char* end = nullptr;
      const double x = std::strtod(p, &end);
      if (end == p) break;
      v.push_back(x);
      p = end;
    }
    if (v.size() != count) throw input_error(what + ": damaged evaluation history (wrong number of values)");
    return v;
  };
  while (std::getline(in, line)) {
    fit_evaluation e;
    e.u = numbers(line, 'u', parameters);
    if (!std::getline(in, line)) throw input_error(what + ": damaged evaluation history (truncated)");
    e.residuals = numbers(line, 'r', residuals);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// The minimum of the objective over every parameter but `held`, which stays
// at u0[held]; from u0, steps `step` (the free ones), at most `max_eval`
// evaluations.
double minimise_others(const fit_problem& problem, const residual_function& residuals, std::vector<double> u0,
                       std::size_t held, const std::vector<double>& step, int max_eval, int* evaluations) {
  const std::size_t n = problem.size();
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  for (std::size_t j = 0; j < n; ++j) u0[j] = std::clamp(u0[j], lo[j], hi[j]);
  auto objective_at = [&](const std::vector<double>& u) {
    ++*evaluations;
    return sum_of_squares(residuals(u));
  };
  if (n == 1) return objective_at(u0);
#ifndef IONRAIL_HAVE_NLOPT
  (void)step;
  (void)max_eval;
  throw input_error("ionrail fit: this build has no NLopt");
#else
  std::vector<std::size_t> free;
  for (std::size_t j = 0; j < n; ++j)
    if (j != held) free.push_back(j);
  const unsigned m = static_cast<unsigned>(free.size());
  nlopt::opt opt(m >= 2 ? nlopt::LN_BOBYQA : nlopt::LN_NELDERMEAD, m);
  std::vector<double> flo(m), fhi(m), fstep(m), x(m), xtol(m);
  for (unsigned i = 0; i < m; ++i) {
    const std::size_t j = free[i];
    flo[i] = lo[j];
    fhi[i] = hi[j];
    x[i] = u0[j];
    fstep[i] = std::min(step[j], 0.5 * (hi[j] - lo[j]));
    xtol[i] = 0.01 * fstep[i];
  }
  opt.set_lower_bounds(flo);
  opt.set_upper_bounds(fhi);
  opt.set_initial_step(fstep);
  opt.set_xtol_abs(xtol);
  opt.set_maxeval(max_eval);
  return minimise_with(opt, x, [&](const std::vector<double>& xs) {
           std::vector<double> u = u0;
           for (unsigned i = 0; i < m; ++i) u[free[i]] = xs[i];
           return objective_at(u);
         }).best;
#endif
}

// rise = c + q_side x² fitted by least squares to the points of both sides
// (x in units of the step sigma), one c for both: the optimum itself sits
// below the trend by however lucky the fit's draw was there, so it is left
// out and c absorbs it. q_side <= 0 or a side without points: NaN.
struct profile_fit {
  double offset = 0, q_low = 0, q_high = 0;
};
profile_fit fit_parabolas(const std::vector<double> (&x)[2], const std::vector<double> (&rise)[2]) {
  // Unknowns c, q_low, q_high; a side without points drops its column.
  std::vector<int> cols{0};
  for (int side = 0; side < 2; ++side)
    if (!x[side].empty()) cols.push_back(1 + side);
  const std::size_t m = cols.size();
  std::vector<std::vector<double>> a(m, std::vector<double>(m + 1, 0.0));
  for (int side = 0; side < 2; ++side)
    for (std::size_t i = 0; i < x[side].size(); ++i) {
      std::vector<double> row(m, 0.0);
      for (std::size_t c = 0; c < m; ++c)
        row[c] = cols[c] == 0 ? 1.0 : (cols[c] == 1 + side ? x[side][i] * x[side][i] : 0.0);
      for (std::size_t r = 0; r < m; ++r) {
        for (std::size_t c = 0; c < m; ++c) a[r][c] += row[r] * row[c];
        a[r][m] += row[r] * rise[side][i];
      }
    }
  // Gaussian elimination with partial pivoting.
  for (std::size_t c = 0; c < m; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < m; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    std::swap(a[c], a[piv]);
    if (std::fabs(a[c][c]) < 1e-300) return {std::nan(""), std::nan(""), std::nan("")};
    for (std::size_t r = 0; r < m; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k <= m; ++k) a[r][k] -= f * a[c][k];
    }
  }
  profile_fit out{std::nan(""), std::nan(""), std::nan("")};
  for (std::size_t c = 0; c < m; ++c) {
    const double v = a[c][m] / a[c][c];
    (cols[c] == 0 ? out.offset : cols[c] == 1 ? out.q_low : out.q_high) = v;
  }
  return out;
}

}  // namespace

std::vector<parameter_profile> profile_likelihood(const fit_problem& problem, const residual_function& residuals,
                                                  const std::vector<double>& best_u, double best_objective,
                                                  const fit_uncertainty& unc, int evaluations_per_point) {
  const std::size_t n = problem.size();
  const double scale = unc.s2 * unc.correlation_inflation;
  const std::vector<double> lo = problem.lower_scaled(), hi = problem.upper_scaled();
  std::vector<double> sigma_data(n, 0.0);
  for (std::size_t k = 0; k < n; ++k) {
    const double model = k < unc.covariance_model_u.size() ? unc.covariance_model_u[k][k] : 0.0;
    sigma_data[k] = std::sqrt(std::max(0.0, unc.covariance_u[k][k] - model));
  }
  std::vector<parameter_profile> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    parameter_profile& p = out[k];
    if (!unc.identifiable[k] || !(sigma_data[k] > 0) || !std::isfinite(sigma_data[k]) || !(scale > 0)) continue;
    p.computed = true;
    p.sigma_data_u = sigma_data[k];
    std::vector<double> step(n);
    for (std::size_t j = 0; j < n; ++j) step[j] = std::max(0.5 * sigma_data[j], 1e-6 * (hi[j] - lo[j]));
    std::vector<std::pair<double, double>> points{{best_u[k], 0.0}};
    std::vector<double> side_d[2], side_rise[2];
    for (int side = 0; side < 2; ++side) {
      const double sign = side == 0 ? -1.0 : 1.0;
      for (double m : {1.0, 2.0, 3.0}) {
        const double target = std::clamp(best_u[k] + sign * m * sigma_data[k], lo[k], hi[k]);
        if (target == best_u[k] || (!side_d[side].empty() && target == best_u[k] + side_d[side].back())) break;
        std::vector<double> u0 = best_u;
        u0[k] = target;
        // Start in the valley the Fisher covariance predicts.
        for (std::size_t j = 0; j < n; ++j)
          if (j != k && unc.covariance_u[k][k] > 0)
            u0[j] = best_u[j] + unc.covariance_u[j][k] / unc.covariance_u[k][k] * (target - best_u[k]);
        const double value = minimise_others(problem, residuals, u0, k, step, evaluations_per_point, &p.evaluations);
        const double rise = (value - best_objective) / scale;
        side_d[side].push_back(target - best_u[k]);
        side_rise[side].push_back(rise);
        points.emplace_back(target, rise);
      }
    }
    std::sort(points.begin(), points.end());
    for (const auto& [u, r] : points) p.u.push_back(u), p.rise.push_back(r);
    std::vector<double> x[2];
    for (int side = 0; side < 2; ++side)
      for (double d : side_d[side]) x[side].push_back(d / sigma_data[k]);
    const profile_fit f = fit_parabolas(x, side_rise);
    p.offset = f.offset;
    p.low_u = f.q_low > 0 ? best_u[k] - sigma_data[k] / std::sqrt(f.q_low) : std::nan("");
    p.high_u = f.q_high > 0 ? best_u[k] + sigma_data[k] / std::sqrt(f.q_high) : std::nan("");
  }
  return out;
}

arrhenius_pair arrhenius_summary(const fit_problem& problem, const std::vector<double>& best_u, const fit_uncertainty& unc) {
  arrhenius_pair a = arrhenius_setup(problem);
  if (!a.present) return a;
  const std::vector<double> v = problem.from_scaled(best_u);
  a.temperatures = curve_temperatures(problem).size();
  a.t_ref_k = reference_temperature(problem);
  const arrhenius_covariance c = arrhenius_cov(problem, a, v, unc.covariance_u, a.t_ref_k);
  a.correlation = unc.correlation[a.ea][a.nu];
  a.centred_correlation = c.centred_correlation();
  a.rate_hz = v[a.nu] * std::exp(-v[a.ea] / (kmc::boltzmann_ev_per_k * a.t_ref_k));
  a.rate_rel_sigma = std::sqrt(std::max(0.0, c.rate_rate));
  return a;
}

}  // namespace ionrail::calibration
