#pragma once
// Fitting material parameters to measured curves (`ionrail fit`,
// docs/measurements.md): the model response of a KMC device at given
// parameters, sampled where the curves were measured; the weighted residuals;
// a derivative-free optimiser from NLopt over the parameters in their scales
// within bounds; and the Gauss-Newton (Fisher) uncertainties, correlations
// and identifiability at the optimum. Every evaluation runs the KMC from one
// fixed seed (common random numbers): two nearby parameter sets then share
// their random numbers, so the objective's differences reflect the
// parameters, not the draw.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ionrail/calibration/measurement.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::calibration {

// A measured curve with the drive it was measured under.
struct fit_curve {
  fit_curve_spec spec;
  measured_curve measured;
  std::shared_ptr<const kmc::piecewise_linear_voltage> drive;
  double sigma_default = 1;  // the uncertainty of a point when the file gives none: the curve's range
};

// The curve's drive: its waveform file, else its v_v column; input_error
// naming the file when it has neither, or when a time lies past the drive.
std::shared_ptr<const kmc::piecewise_linear_voltage> curve_drive(const fit_curve_spec& spec, const measured_curve& m);

class fit_problem {
 public:
  fit_problem(kmc::device_params device, kmc::sim_params sim, fit_params fit, std::vector<fit_curve> curves);

  std::size_t size() const { return fit_.parameters.size(); }
  std::size_t residual_count() const { return residual_count_; }
  // Where each curve's residuals start in the residual vector, and the end.
  std::vector<std::size_t> curve_offsets() const;
  const fit_params& settings() const { return fit_; }
  const std::vector<fit_curve>& curves() const { return curves_; }

  // The parameters in the optimiser's coordinates (log10 for a log scale) and back.
  std::vector<double> to_scaled(const std::vector<double>& values) const;
  std::vector<double> from_scaled(const std::vector<double>& u) const;
  std::vector<double> lower_scaled() const;
  std::vector<double> upper_scaled() const;
  std::vector<double> start_values() const;

  // The device of curve `curve` at parameter values (temperature and rails set).
  kmc::device_params device_at(const std::vector<double>& values, std::size_t curve) const;
  // The model's response (S or A) at every measured time of every curve.
  // replicate 0 is the fit's own draw (fit.seed); others are independent
  // draws of the same model device (for its sampling noise). step_scale
  // multiplies the sync solver's step (sim.p_max, and sim.dt_s and
  // sim.dt_max_s where given): sync_step_check.
  std::vector<std::vector<double>> model_curves(const std::vector<double>& values, int replicate = 0,
                                                double step_scale = 1.0) const;
  // weight * (model - measured) / sigma, all curves one after the other.
  std::vector<double> residuals(const std::vector<std::vector<double>>& model) const;
  // The engines' solver (kmc::engine's backend; empty: the CPU sync or BKL
  // solver of sim()). The CUDA backend reproduces the CPU's bits, so a fit
  // gives the same result on either, only faster.
  void set_backend(kmc::solver_factory backend) { backend_ = std::move(backend); }
  bool has_backend() const { return static_cast<bool>(backend_); }
  // The sim parameters every evaluation uses (its fixed seed).
  const kmc::sim_params& sim() const { return sim_; }
  const kmc::device_params& base_device() const { return device_; }

 private:
  kmc::device_params device_;
  kmc::sim_params sim_;
  fit_params fit_;
  std::vector<fit_curve> curves_;
  std::size_t residual_count_ = 0;
  kmc::solver_factory backend_;
};

double sum_of_squares(const std::vector<double>& r);

// The residuals at scaled parameters u (the caller memoises and checkpoints).
using residual_function = std::function<std::vector<double>(const std::vector<double>& u)>;
// The same with the model's draw chosen (fit_problem::model_curves).
using seeded_residual_function = std::function<std::vector<double>(const std::vector<double>& u, int replicate)>;
// The same with the sync solver's step scaled too (fit_problem::model_curves).
using stepped_residual_function =
    std::function<std::vector<double>(const std::vector<double>& u, int replicate, double step_scale)>;

struct optimiser_result {
  std::vector<double> best_u;
  double best_objective = 0;
  int evaluations = 0;
  std::string stop_reason;  // NLopt's, in words
};

// Whether this build has NLopt (libnlopt-cxx-dev at configure time).
bool have_nlopt();
// Minimises the sum of squared residuals over the scaled parameters within
// bounds with NLopt's derivative-free `algorithm`. Without NLopt:
// ionrail::input_error saying so. An exception thrown by `residuals` (an
// interruption) stops the optimiser and is rethrown.
optimiser_result optimise(const fit_problem& problem, const residual_function& residuals);

struct fit_uncertainty {
  double s2 = 0;                 // residual variance: sum of squares / (N - p)
  // Residuals correlated in time (the KMC's own fluctuations, in the data
  // and in the model, are slow) carry fewer independent points than N: per
  // curve, the lag-1 autocorrelation rho of its residuals gives the AR(1)
  // effective-sample-size factor (1 + rho) / (1 - rho) (1 for rho <= 0);
  // the covariance is multiplied by their mean weighted by each curve's sum
  // of squares.
  double correlation_inflation = 1;
  std::vector<double> lag1_autocorrelation;  // per curve
  // The part of covariance_u that comes from the model's own draw
  // (model_noise_covariance; zeros without replicates), and its sigmas.
  std::vector<std::vector<double>> covariance_model_u;
  std::vector<double> sigma_model_u;
  int replicates = 0;
  int dof = 0;
  std::vector<double> sigma_u;   // standard uncertainty in the scaled coordinate (inf: not identifiable)
  std::vector<std::vector<double>> covariance_u, correlation;
  std::vector<double> eigenvalues;  // of J^T J in range-normalised coordinates, ascending
  std::vector<bool> identifiable;
  std::vector<std::string> why_not;  // for each parameter not identifiable, why
  int evaluations = 0;
};

// The Jacobian of the residuals at u (rows: parameters), by finite
// differences with steps of settings().jacobian_step of each range (central
// where both sides are within bounds, one-sided at a bound); r are the
// residuals at u. Counts its evaluations into *evaluations.
std::vector<std::vector<double>> residual_jacobian(const fit_problem& problem, const residual_function& residuals,
                                                   const std::vector<double>& u, const std::vector<double>& r,
                                                   int* evaluations);

// The covariance and identifiability from a Jacobian (see below), with
// `model_covariance` (scaled coordinates; empty: none) added.
// u: the point (scaled) the Jacobian was taken at.
fit_uncertainty uncertainty_from_jacobian(const fit_problem& problem, const std::vector<double>& u,
                                          const std::vector<std::vector<double>>& jac, const std::vector<double>& r,
                                          const std::vector<std::vector<double>>& model_covariance = {});

// The parameters' covariance from the model's finite ensemble: the fitted
// point depends on the fit's one draw of the KMC (common random numbers fix
// it), an error correlated over whole curves that the residuals' scatter
// does not show. At u (where the fit's Gauss-Newton walk stopped, with
// Jacobian jac), each of `replicates` other draws k walks to its own fixed
// point with the same Jacobian: up to `steps` Gauss-Newton steps, each from
// its residuals where the last one ended, stopping early once a step is
// below converged_fraction_of_sigma of every sigma. Its shift d_k from the
// fit's own fixed point (u plus the step its residuals still ask for) has
// covariance twice that of the fit's own draw: the estimate is
// sum d_k d_k^T / (2 replicates). The first step alone is the linearised
// shift -(J^T J)^+ J^T (r_k - r); along a direction the curves fix weakly
// (the Arrhenius slope) it understates the walk's, because another draw's
// model answers a parameter change less than the fit's own Jacobian, whose
// finite differences carry the fit's draw too.
struct model_draw {
  std::vector<std::vector<double>> covariance_u;             // from the walks' fixed points
  std::vector<std::vector<double>> linearised_covariance_u;  // from their first steps
  int evaluations = 0;  // one per step taken, all replicates together
};
model_draw model_noise_covariance(const fit_problem& problem, const seeded_residual_function& residuals,
                                  const std::vector<double>& u, const std::vector<double>& r,
                                  const std::vector<std::vector<double>>& jac, int replicates, int steps);

// How far the sync solver's finite step moves the fitted parameters from
// the continuous-time model's. The sync solver's error is first order in
// its step (sim.p_max bounds the hop probability per step; 0.5 leaves
// strong-pulse responses a few per cent high), so a fit to a real device
// answers for the solver, not only for the physics. At u, for `seeds`
// draws k (0: the fit's own), the residuals with the step halved, h_k, and
// with the fit's step, r_k, give the Gauss-Newton shift
// d_k = -(J^T J)^+ J^T (h_k - r_k), and 2 d_k is the shift to the
// continuous-time limit (first order: halving removes half the error).
// The halved step re-draws the hops, so each d_k also carries the model
// draw's noise; their mean is the estimate, their scatter its standard
// error. Empty (seeds 0) for the BKL solver, which has no step.
struct step_check_result {
  int seeds = 0;
  std::vector<double> shift_u;  // per parameter, scaled coordinates: continuous-time limit minus fitted
  std::vector<double> noise_u;  // standard error of shift_u (the seeds' scatter / sqrt(seeds))
  // With both Ea and ν0 fitted: the shift of ln Γ(T_ref) and its standard error.
  double rate_shift_relative = 0, rate_noise_relative = 0;
  int evaluations = 0;
};
step_check_result sync_step_check(const fit_problem& problem, const stepped_residual_function& residuals,
                                  const std::vector<double>& u, const std::vector<double>& r,
                                  const std::vector<std::vector<double>>& jac, int seeds);

// Gauss-Newton refinement after the derivative-free search: a
// derivative-free optimiser on a KMC objective stops where the noise of the
// draw (even with common random numbers) hides the slope, which in a long
// narrow valley (two parameters nearly confounded) can be far from the
// bottom. Least squares know their own curvature: from the Jacobian at the
// current point, the Gauss-Newton step -(J^T J)^+ J^T r (projected onto the
// bounds) is taken and a new Jacobian follows, up to `steps` times, until
// along every direction the data determine (the Fisher eigenvectors) the
// step is below converged_fraction_of_sigma of the sigma there (a
// quarter-sigma step changes the objective by s2 F / 16, far below its
// roughness); a direction whose sigma is wider than its whole bound range
// is neither stepped along nor tested. The full step is accepted unless it
// raises the objective by more than rough_objective_allowance s2 F (a
// 2-sigma rise) over the lowest objective of the walk:
// the common-random-number objective has local dips of a few units (a
// parameter change re-draws part of the model's hops), and a walk that
// needs every step to descend stops in whichever dip is nearest its start
// (the three-temperature fit moved Ea by 2.5 sigma with its start). A
// refused full step is halved, at most twice, and then must descend. The
// uncertainty is that of the last Jacobian, at the point returned.
inline constexpr double converged_fraction_of_sigma = 0.25;
inline constexpr double rough_objective_allowance = 4.0;
enum class refine_stop {
  converged,      // the next step was below converged_fraction_of_sigma
  step_refused,   // the next step (halved twice) raised the objective too much
  steps_reached,  // `steps` steps taken
};
const char* to_string(refine_stop s);
struct refined_fit {
  std::vector<double> u, r;
  refine_stop stop = refine_stop::steps_reached;
  bool converged() const { return stop == refine_stop::converged; }
  std::vector<std::vector<double>> jacobian;  // the last one, at u
  fit_uncertainty uncertainty;
  int accepted_steps = 0;
  int evaluations = 0;
};
refined_fit refine_gauss_newton(const fit_problem& problem, const residual_function& residuals,
                                const std::vector<double>& u, const std::vector<double>& r, int steps);

// The profile likelihood of each identifiable parameter k: k held at
// best ± 1, 2 and 3 of its data-only Fisher sigma (the covariance less the
// model-draw part; a point beyond a bound is moved onto it), the others
// minimised by NLopt (BOBYQA, or Nelder-Mead for one other; up to
// `evaluations_per_point` each; started where the Fisher covariance predicts
// the valley, u_j + C_jk / C_kk (u_k - best_k)), and the rise of the
// objective divided by s2 F (the scale of the Fisher covariance), which for
// a model linear in the parameters would be ((u_k - best_k) / sigma)². A KMC
// objective is rough at the scale of sigma (moving a parameter a little
// changes which hops happen: on polymer.toml the rise is ~5 already at
// ±1 sigma), and the optimum sits below the trend by its draw's luck, so the
// rise is fitted as c + q_side x² on each side with one offset c for both,
// the optimum left out; the 1-sigma interval is best ± sigma / sqrt(q_side)
// (NaN on a side where q <= 0: the data do not bound it there), and may be
// asymmetric.
struct parameter_profile {
  bool computed = false;         // false: not identifiable, nothing to profile
  std::vector<double> u;         // the values held (scaled), ascending, best included
  std::vector<double> rise;      // (minimum objective there - best) / (s2 F)
  double low_u = 0, high_u = 0;  // the 1-sigma interval in the scaled coordinate (NaN: a bound first)
  double sigma_data_u = 0;       // the Fisher sigma it was stepped in (data part)
  double offset = 0;             // c: how far the optimum sits below the fitted trend (rise units)
  int evaluations = 0;
};
std::vector<parameter_profile> profile_likelihood(const fit_problem& problem, const residual_function& residuals,
                                                  const std::vector<double>& best_u, double best_objective,
                                                  const fit_uncertainty& unc, int evaluations_per_point);

// The activation energy and the attempt frequency, both fitted: the curves
// depend on them mostly through the hop rate ν0 exp(-Ea / kB T) at the
// temperatures measured, so their estimates are strongly correlated (at one
// temperature, confounded; over a narrow range of 1/T, ln ν0 and Ea/kB are
// an Arrhenius line's intercept and slope, correlated ~0.99 even with good
// data). The combination the curves do fix is reported: the hop rate at the
// curves' mean temperature (harmonic, over their points; at one temperature,
// that one), Γ(T_ref) = ν0 exp(-Ea / kB T_ref), with its standard
// uncertainty from the covariance (finite even where the pair is reported
// not identifiable).
struct arrhenius_pair {
  bool present = false;         // both fitted
  std::size_t ea = 0, nu = 0;   // their indices
  double t_ref_k = 0;           // the curves' mean temperature (harmonic, over their points)
  double rate_hz = 0;           // Γ(T_ref) at the fitted values
  double rate_rel_sigma = 0;    // its standard uncertainty relative to it
  double correlation = 0;       // of Ea with ν0 (their scaled coordinates)
  double centred_correlation = 0;  // of Ea with ln Γ(T_ref): what decides whether the pair is separable
  std::size_t temperatures = 0;    // distinct temperatures of the curves (one: not separable)
};
// The pair's reference temperature and rate at `best_u` with the covariance of `unc`.
arrhenius_pair arrhenius_summary(const fit_problem& problem, const std::vector<double>& best_u, const fit_uncertainty& unc);

// Above this |correlation| with another parameter a parameter is reported
// as not identifiable (confounded).
inline constexpr double max_identifiable_correlation = 0.99;

// Gauss-Newton covariance s2 (J^T J)^+ at best_u, J by finite differences of
// the residuals with steps of settings().jacobian_step of each range (central
// where both sides are within bounds, one-sided at a bound). A parameter is
// not identifiable when its standard uncertainty exceeds its bound range,
// when it loads a direction of J^T J whose eigenvalue is below 1e-10 of the
// largest (the data do not constrain it), or when its correlation with
// another exceeds max_identifiable_correlation (for the activation energy and
// the attempt frequency, both fitted: when the curves are all at one
// temperature, or when Ea's correlation with ln Γ(T_ref) exceeds it; see
// arrhenius_pair): its uncertainty is then
// reported as infinite (the others from the pseudo-inverse without a null
// direction).
fit_uncertainty gauss_newton_uncertainty(const fit_problem& problem, const residual_function& residuals,
                                         const std::vector<double>& best_u, const std::vector<double>& best_residuals);

// Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, by Jacobi rotations.
void symmetric_eigen(std::vector<std::vector<double>> a, std::vector<double>& values,
                     std::vector<std::vector<double>>& vectors);

// One evaluation of the fit's history: the scaled point and its residuals.
struct fit_evaluation {
  std::vector<double> u;
  std::vector<double> residuals;
};
// The history as checkpoint text (hex floats, exact) and back; input_error
// naming `what` on text that does not parse or fit `parameters` / `residuals`.
std::string history_text(const std::vector<fit_evaluation>& history);
std::vector<fit_evaluation> parse_history(const std::string& text, std::size_t parameters, std::size_t residuals,
                                          const std::string& what);

}  // namespace ionrail::calibration
