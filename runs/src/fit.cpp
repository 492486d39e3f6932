// `ionrail fit`: the measurement file and its curves checked, the fit
// (ionrail::calibrate's fit_problem, NLopt, Gauss-Newton uncertainties) run
// with its evaluations checkpointed, and the fitted material, fit.json, the
// curves, plots and report.md written.
#include <ionrail/runs/fit.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include <omp.h>

#include <ionrail/calibration/fit.hpp>
#include <ionrail/calibration/progress.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/work_estimate.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/runs/file_kind.hpp>
#include <ionrail/runs/output.hpp>
#include <ionrail/runs/output_lock.hpp>
#include <ionrail/runs/plot_text.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/runs/staged_dir.hpp>

namespace fs = std::filesystem;

namespace ionrail::runs {

using namespace ionrail::calibration;
using config::run_config;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// A parameter's value and uncertainty from its scaled coordinate: log10 for
// a log scale, where the interval is asymmetric; sigma is then the
// linearised one (value · ln 10 · sigma_u).
struct shown_value {
  double value, sigma, low, high;
};
shown_value in_units(const fit_parameter_spec& p, double u, double sigma_u) {
  if (p.scale == fit_scale::log) {
    const double v = std::pow(10.0, u);
    return {v, v * std::log(10.0) * sigma_u, std::pow(10.0, u - sigma_u), std::pow(10.0, u + sigma_u)};
  }
  return {u, sigma_u, u - sigma_u, u + sigma_u};
}

// One end of a profile interval (scaled) widened by the model-draw sigma,
// in quadrature on its side of the best point; NaN stays NaN (a bound).
double with_model_draw(double end_u, double best_u, double sigma_model_u) {
  const double d = end_u - best_u;
  return best_u + std::copysign(std::sqrt(d * d + sigma_model_u * sigma_model_u), d);
}

// A signed shift in scaled coordinates, in the parameter's units
// (linearised like its sigma).
double shift_in_units(const fit_parameter_spec& p, double u, double shift_u) {
  return std::copysign(in_units(p, u, std::fabs(shift_u)).sigma, shift_u);
}

// A shift of the solver's step that matters: larger than the parameter's
// sigma and than twice its own standard error (the halved step re-draws the
// hops, so a small shift may be the draw's noise).
bool significant_step_shift(double shift, double noise, double sigma) {
  return std::isfinite(sigma) && std::fabs(shift) > sigma && std::fabs(shift) > 2 * noise;
}

std::string step_shift_warning(const std::string& what, const std::string& shift, double in_sigma, double p_max,
                               int seeds) {
  return fmt::format("the sync solver's step (sim.p_max = {:g}) moves {} by {} ({:+.1f} sigma) from the "
                     "continuous-time model's value (halving the step at {} seeds): for a measured device, fit again "
                     "with sim.p_max halved until this is below sigma",
                     p_max, what, shift, in_sigma, seeds);
}

const char* unit_of(measured_quantity q) { return q == measured_quantity::conductance ? "S" : "A"; }

// The fingerprint a checkpoint is resumed by: the engine, every resolved
// parameter (curves and bounds included) and the bytes of every data file.
std::string fingerprint_of(const run_config& cfg, const std::vector<fit_curve>& curves) {
  std::string f = std::string(kmc::engine_version()) + "\n" + config::resolved_parameters_json(cfg) + "\n";
  for (const auto& c : curves) {
    f += fmt::format("{} {:016x}\n", c.spec.file, fnv1a64(model_io::read_input_file(c.spec.file)));
    if (!c.spec.waveform.empty())
      f += fmt::format("{} {:016x}\n", c.spec.waveform, fnv1a64(model_io::read_input_file(c.spec.waveform)));
  }
  return f;
}

void remove_quietly(const fs::path& p) {
  std::error_code ignored;
  fs::remove_all(p, ignored);
}

// A normalised residual past 1e100 (or not finite) squares past what the
// objective, the Jacobian and JᵀJ hold: a value, sigma or weight out of
// scale, refused naming the point (it used to leave the optimiser with no
// finite evaluation at all, and crash).
void check_residual_scale(const std::vector<double>& r, const std::vector<fit_curve>& curves, const std::string& path) {
  std::size_t at = 0;
  for (std::size_t c = 0; c < curves.size(); ++c) {
    const measured_curve& m = curves[c].measured;
    for (std::size_t k = 0; k < m.t_s.size(); ++k, ++at) {
      if (std::fabs(r[at]) <= 1e100) continue;
      const double sigma = m.has_sigma() ? m.sigma[k] : curves[c].sigma_default;
      throw input_error(fmt::format(
          "{}:{}: the model misses this point by {:.3g} of its uncertainty ({} = {:.6g} {}, sigma {:.3g}, "
          "fit.curve[{}] weight {:.3g}): expected values, sigmas and weights on the scale of the curve "
          "(a residual of at most 1e100 sigma); the fit in {} cannot use it",
          m.file, m.line.empty() ? 0u : m.line[k], r[at], m.quantity == measured_quantity::conductance ? "g_s" : "i_a",
          m.value[k], unit_of(m.quantity), sigma, c, curves[c].spec.weight, path));
    }
  }
}

}  // namespace

fit_outcome run_fit(const std::string& path, const fit_options& options) {
  const auto start_time = std::chrono::steady_clock::now();
  run_config cfg = config::load_run_config(path, options.overrides);
  cfg.sim.work_limit = options.max_work;  // each evaluation's engine, while it runs
  check_file_is_for(cfg, "fit");
  const fit_params& fp = cfg.fit;
  if (fp.curves.empty())
    throw input_error(path + ": no [[fit.curve]] and [[fit.parameter]]: a measurement file for `ionrail fit` names its "
                             "curves and the parameters to fit (docs/measurements.md)");
  if (!have_nlopt())
    throw input_error("ionrail fit: this build has no NLopt (install Debian's libnlopt-cxx-dev, e.g. with "
                      "scripts/deps.sh, and configure again)");

  // Every curve and its drive, read and checked before anything is written.
  std::vector<fit_curve> read_curves;
  for (const auto& spec : fp.curves) {
    fit_curve c;
    c.spec = spec;
    c.measured = read_measured_curve(spec.file);
    c.drive = curve_drive(spec, c.measured);
    read_curves.push_back(std::move(c));
  }
  // sim.backend: the CUDA solver where asked for (or "auto" finds a GPU);
  // it gives the CPU's bits, so the fit and its checkpoint are the same.
  fit_problem problem_setup(cfg.device, cfg.sim, fp, std::move(read_curves));
  problem_setup.set_backend(engine_backend(cfg));
  const fit_problem& problem = problem_setup;
  const std::size_t n = problem.size();
  // The problem's curves, with the default sigma (each curve's range) it
  // sets: the outputs compute the model curve with that sigma (a copy of
  // the curves kept here once had 1 S there).
  const std::vector<fit_curve>& curves = problem.curves();
  for (std::size_t c = 0; c < curves.size(); ++c) {
    try {
      kmc::validate(problem.device_at(problem.start_values(), c), problem.sim());
    } catch (const std::invalid_argument& e) {
      throw input_error(fmt::format("{}: fit.curve[{}] ({}): {}", path, c, curves[c].spec.file, e.what()));
    }
  }

  // Work and memory: every evaluation (the optimiser's, the Jacobian's) at
  // the corner of the bounds that hops fastest, refused above --max-work.
  // The work is monotone in each parameter but not the same way in all
  // (a low activation energy with a high attempt frequency hops fastest), so
  // every corner is estimated: 2^n of them, n <= 7 (each name once).
  // The optimiser's, then per Gauss-Newton step a Jacobian (2 per
  // parameter) and up to three trial steps, then the last Jacobian.
  // With fit.profile, six points per parameter of up to
  // profile_evaluations each.
  const int evaluations_max = fp.max_evaluations + (2 * static_cast<int>(n) + 3) * fp.refine_steps +
                              2 * static_cast<int>(n) + fp.replicates * fp.replicate_steps + 3 * fp.step_check_seeds +
                              (fp.profile ? 6 * static_cast<int>(n) * fp.profile_evaluations : 0);
  {
    double per_evaluation = 0;
    for (std::size_t c = 0; c < curves.size(); ++c) {
      double worst = 0;
      // corner 0: the start; corner b + 1: parameter k at its upper bound
      // where bit k of b is set, at its lower bound otherwise.
      for (std::size_t corner = 0; corner <= (std::size_t{1} << n); ++corner) {
        std::vector<double> v = problem.start_values();
        for (std::size_t k = 0; k < n && corner > 0; ++k)
          v[k] = ((corner - 1) >> k) & 1u ? fp.parameters[k].upper : fp.parameters[k].lower;
        const kmc::device_params d = problem.device_at(v, c);
        const kmc::work_estimate w = kmc::estimate_work(d, problem.sim(), *curves[c].drive);
        check_work(w, d, problem.sim(), options.max_work, fmt::format("{} (fit.curve[{}])", path, c));
        worst = std::max(worst, w.attempts);
      }
      per_evaluation += worst;
      check_memory(kmc::engine_memory_bytes(problem.device_at(problem.start_values(), c), problem.sim()),
                   fmt::format("{}: the model device of fit.curve[{}]", path, c));
    }
    if (!(per_evaluation * evaluations_max <= options.max_work))
      throw input_error(fmt::format("{}: {} evaluations (fit.max_evaluations = {} and 2 per parameter for the "
                                    "uncertainties) of about {:.3g} hop attempts each would exceed the limit of {:.3g}: "
                                    "fewer fit.rails or evaluations, or raise the limit with --max-work",
                                    path, evaluations_max, fp.max_evaluations, per_evaluation, options.max_work));
  }

  // DIR's lock, then DIR.checkpoint: the evaluations so far, replayed on --resume.
  const output_lock lock(options.out_dir);
  const fs::path checkpoint = fs::path(options.out_dir + ".checkpoint");
  const std::string fingerprint = fingerprint_of(cfg, curves);
  std::vector<fit_evaluation> history;
  remove_unresumable_checkpoint(checkpoint, checkpoint / "config", options.out_dir);
  if (options.resume) {
    if (!checkpoint_exists(checkpoint / "config"))
      throw input_error((checkpoint / "config").string() + ": --resume: no checkpoint here (nothing was interrupted, or it finished)");
    if (read_checkpoint(checkpoint / "config", "fit") != fingerprint)
      throw input_error(checkpoint.string() + ": was written for another measurement file, data or options; resume with "
                                              "the same ones, or start over with --force");
    if (checkpoint_exists(checkpoint / "history"))
      history = parse_history(read_checkpoint(checkpoint / "history", "fit-history"), n, problem.residual_count(),
                              (checkpoint / "history").string());
  } else if (checkpoint_exists(checkpoint)) {
    if (!options.force)
      throw input_error(checkpoint.string() + ": holds an interrupted fit: continue it with --resume, or start over with "
                                              "--force (which deletes it)");
    refuse_to_remove(checkpoint, options.out_dir);
    fs::remove_all(checkpoint);
  }
  staged_dir dir(lock, options.force);
  // A failure leaves no checkpoint where it holds nothing worth resuming
  // (as calibrate): a refusal when this command made it, or when what was
  // simulated caused the refusal (resuming would only meet it again); any
  // other failure (a run-time error of the engine, memory, a full disk) when
  // not one evaluation was saved. A signal keeps it (`interrupted`), and so
  // does a refusal of a resumed checkpoint for itself, which names the file.
  const std::size_t replayable = history.size();  // the evaluations the checkpoint holds
  try {
    fs::create_directories(checkpoint);
    if (!options.resume) write_checkpoint(checkpoint / "config", "fit", fingerprint);
    std::unique_ptr<run_control> ctl;
    if (options.checkpoints) ctl = std::make_unique<run_control>(0.0, 1);

    // Every evaluation goes through here: replayed from the history while it
    // lasts (the optimiser is deterministic, so it asks for the same points
    // again, bit for bit), else simulated and appended to the checkpoint.
    progress_reporter progress(evaluations_max, options.quiet);
    progress.begin_part("fit: evaluations");
    std::size_t asked = 0;
    const stepped_residual_function evaluate_stepped = [&](const std::vector<double>& u, int replicate,
                                                           double step_scale) -> std::vector<double> {
      const std::size_t k = asked++;
      std::vector<double> r;
      if (k < replayable) {
        if (history[k].u != u)
          throw input_error(fmt::format("{}: evaluation {} asks for another point than the checkpoint holds: it was "
                                        "written by another build; start over with --force", checkpoint.string(), k));
        r = history[k].residuals;
      } else {
        if (ctl && ctl->interrupted())
          throw interrupted(ctl->signal(), fmt::format("interrupted by {} after {} evaluations (saved in {})",
                                                       signal_name(ctl->signal()), k, checkpoint.string()));
        r = problem.residuals(problem.model_curves(problem.from_scaled(u), replicate, step_scale));
        check_residual_scale(r, curves, path);
        history.push_back({u, r});
        write_checkpoint(checkpoint / "history", "fit-history", history_text(history));
      }
      progress.advance_to(static_cast<double>(k + 1));
      return r;
    };
    // The replicates' residuals at the optimum are asked for again by the
    // step check: kept, not simulated twice.
    std::map<std::pair<int, std::vector<double>>, std::vector<double>> replicate_residuals;
    const seeded_residual_function evaluate_seeded = [&](const std::vector<double>& u, int replicate) {
      if (replicate == 0) return evaluate_stepped(u, 0, 1.0);
      auto key = std::make_pair(replicate, u);
      auto it = replicate_residuals.find(key);
      if (it == replicate_residuals.end())
        it = replicate_residuals.emplace(std::move(key), evaluate_stepped(u, replicate, 1.0)).first;
      return it->second;
    };
    const stepped_residual_function evaluate_checked = [&](const std::vector<double>& u, int replicate,
                                                           double step_scale) {
      return step_scale == 1.0 ? evaluate_seeded(u, replicate) : evaluate_stepped(u, replicate, step_scale);
    };
    const residual_function evaluate = [&](const std::vector<double>& u) { return evaluate_seeded(u, 0); };

    const optimiser_result opt = optimise(problem, evaluate);
    // The optimiser asks first, so its evaluations are the history's first
    // `asked`; later entries at the same point (a replicate's other seed, a
    // halved step) are there too on --resume and must not be taken for it.
    std::vector<double> opt_r;
    for (std::size_t k = 0; k < asked; ++k)
      if (history[k].u == opt.best_u) opt_r = history[k].residuals;
    const refined_fit refined = refine_gauss_newton(problem, evaluate, opt.best_u, opt_r, fp.refine_steps);
    // The model's draw, and where the data come from a KMC device of
    // fit.device_rails rails, that device's own draw: the same covariance
    // scaled by the rail counts (the mean over independent rails). The fit
    // answers a re-drawn device as it answers a re-drawn model, more than
    // linearly along a weakly fixed direction (docs/measurements.md), so both
    // take the walks' covariance.
    const model_draw draw = model_noise_covariance(problem, evaluate_seeded, refined.u, refined.r, refined.jacobian,
                                                   fp.replicates, fp.replicate_steps);
    const int model_rails = problem.device_at(problem.from_scaled(refined.u), 0).rails;
    const double device_draw_ratio =
        fp.device_rails > 0 ? static_cast<double>(model_rails) / static_cast<double>(fp.device_rails) : 0.0;
    std::vector<std::vector<double>> draw_cov = draw.covariance_u;
    std::vector<double> sigma_own_model_u(n, 0.0), sigma_linearised_u(n, 0.0), sigma_device_u(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      sigma_own_model_u[i] = std::sqrt(std::max(0.0, draw.covariance_u[i][i]));
      sigma_linearised_u[i] = std::sqrt(std::max(0.0, draw.linearised_covariance_u[i][i]));
      sigma_device_u[i] = std::sqrt(std::max(0.0, draw.covariance_u[i][i] * device_draw_ratio));
      for (std::size_t j = 0; j < n; ++j) draw_cov[i][j] *= 1.0 + device_draw_ratio;
    }
    fit_uncertainty unc = uncertainty_from_jacobian(problem, refined.u, refined.jacobian, refined.r, draw_cov);
    unc.replicates = fp.replicates;
    const int asked_before_check = static_cast<int>(asked);
    const step_check_result step = sync_step_check(problem, evaluate_checked, refined.u, refined.r, refined.jacobian,
                                                   fp.step_check_seeds);
    const int step_check_evaluations = static_cast<int>(asked) - asked_before_check;
    const std::vector<double>& best_u = refined.u;
    const std::vector<double>& best_r = refined.r;
    const double best_objective = sum_of_squares(best_r);
    std::vector<parameter_profile> profiles;
    if (fp.profile) profiles = profile_likelihood(problem, evaluate, best_u, best_objective, unc, fp.profile_evaluations);
    progress.finish(fmt::format("fit: {} evaluations", asked));
    // Every evaluation is done (and saved): a signal none of them saw stops
    // the command here; from here a signal removes the staged output.
    if (ctl)
      if (const int sig = ctl->release())
        throw interrupted(sig, fmt::format("interrupted by {} after all {} evaluations (saved in {})", signal_name(sig),
                                           asked, checkpoint.string()));
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();

    // ---- outputs
    const fs::path out = dir.path();
    const std::vector<double> best_values = problem.from_scaled(best_u);
    run_config fitted = cfg;
    for (std::size_t k = 0; k < n; ++k) set_parameter(fitted.device, fp.parameters[k].name, best_values[k]);
    {
      std::string text = "# Material fitted by `ionrail fit " + path + "` (fit.json has the uncertainties).\n" +
                         config::material_toml(fitted, "initial_profile.csv");
      model_io::write_file_atomic(out / "material.toml", text);
      if (!fitted.device.initial_profile.empty()) {
        std::string w;
        for (double x : fitted.device.initial_profile) w += fmt::format("{}\n", x);
        model_io::write_file_atomic(out / "initial_profile.csv", w);
      }
    }

    // Per curve: measured, model and residual, from the best evaluation's
    // residuals (model = measured + r sigma / weight).
    std::vector<std::vector<double>> model(curves.size());
    {
      std::size_t at = 0;
      for (std::size_t c = 0; c < curves.size(); ++c) {
        const auto& m = curves[c].measured;
        std::string csv = fmt::format("t_s,measured_{0},sigma_{0},model_{0},residual_{0},normalised_residual\n",
                                      m.quantity == measured_quantity::conductance ? "g_s" : "i_a");
        for (std::size_t k = 0; k < m.t_s.size(); ++k, ++at) {
          const double sigma = m.has_sigma() ? m.sigma[k] : curves[c].sigma_default;
          const double y = m.value[k] + best_r[at] * sigma / curves[c].spec.weight;
          model[c].push_back(y);
          csv += fmt::format("{:.10g},{:.10g},{:.6g},{:.10g},{:.6g},{:.6g}\n", m.t_s[k], m.value[k], sigma, y,
                             y - m.value[k], best_r[at] / curves[c].spec.weight);
        }
        model_io::write_file_atomic(out / fmt::format("curve{}.csv", c), csv);
      }
    }
    {
      std::string csv = "evaluation,objective";
      for (const auto& p : fp.parameters) csv += std::string(",") + to_string(p.name);
      csv += "\n";
      for (std::size_t k = 0; k < history.size(); ++k) {
        csv += fmt::format("{},{:.10g}", k, sum_of_squares(history[k].residuals));
        for (double v : problem.from_scaled(history[k].u)) csv += fmt::format(",{:.10g}", v);
        csv += "\n";
      }
      model_io::write_file_atomic(out / "history.csv", csv);
    }

    std::string algorithm = to_string(fp.algorithm);  // as NLopt names it: NLopt LN_BOBYQA
    std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    algorithm = "NLopt LN_" + algorithm;
    fit_outcome outcome;
    outcome.evaluations = static_cast<int>(asked);
    outcome.objective = best_objective;
    outcome.wall_s = wall_s;
    json_doc params = json_doc::array();
    std::vector<std::string> warnings;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& p = fp.parameters[k];
      const shown_value s = in_units(p, best_u[k], unc.sigma_u[k]);
      json_doc e = {{"name", to_string(p.name)},
                    {"material_key", material_key(p.name)},
                    {"value", json_number(s.value)},
                    {"uncertainty", unc.identifiable[k] ? json_number(s.sigma, 4) : json_doc(nullptr)},
                    {"interval_1sigma", unc.identifiable[k] ? json_doc::array({json_number(s.low), json_number(s.high)})
                                                             : json_doc(nullptr)},
                    {"scale", p.scale == fit_scale::log ? "log" : "linear"},
                    {"uncertainty_scaled", unc.identifiable[k] ? json_number(unc.sigma_u[k], 4) : json_doc(nullptr)},
                    {"uncertainty_scaled_model_draw", json_number(sigma_own_model_u[k], 4)},
                    {"uncertainty_scaled_model_draw_linearised", json_number(sigma_linearised_u[k], 4)},
                    {"uncertainty_scaled_device_draw", json_number(sigma_device_u[k], 4)},
                    {"start", json_number(p.start)},
                    {"bounds", json_doc::array({json_number(p.lower), json_number(p.upper)})},
                    {"identifiable", static_cast<bool>(unc.identifiable[k])}};
      const double range = problem.upper_scaled()[k] - problem.lower_scaled()[k];
      const bool at_bound = std::fabs(best_u[k] - problem.lower_scaled()[k]) < 1e-6 * range ||
                            std::fabs(best_u[k] - problem.upper_scaled()[k]) < 1e-6 * range;
      e["at_bound"] = at_bound;
      if (k < profiles.size() && profiles[k].computed) {
        // The profile's interval (the data's part), and with the model-draw
        // variance added on each side.
        const parameter_profile& pr = profiles[k];
        auto shown = [&](double u) { return std::isfinite(u) ? json_number(in_units(p, u, 0).value) : json_doc(nullptr); };
        auto widened = [&](double u) { return shown(with_model_draw(u, best_u[k], unc.sigma_model_u[k])); };
        json_doc pts = json_doc::array();
        for (std::size_t i = 0; i < pr.u.size(); ++i)
          pts.push_back({{"value", json_number(in_units(p, pr.u[i], 0).value)}, {"rise", json_number(pr.rise[i], 5)}});
        e["profile"] = {{"interval_1sigma", json_doc::array({shown(pr.low_u), shown(pr.high_u)})},
                        {"optimum_below_trend", json_number(pr.offset, 4)},
                        {"interval_1sigma_with_model_draw", json_doc::array({widened(pr.low_u), widened(pr.high_u)})},
                        {"points", pts},
                        {"evaluations", pr.evaluations}};
      }
      if (!unc.identifiable[k]) {
        e["why_not_identifiable"] = unc.why_not[k];
        warnings.push_back(fmt::format("{} is not identifiable from these curves: {}", to_string(p.name), unc.why_not[k]));
      }
      if (at_bound)
        warnings.push_back(fmt::format("{} = {:.6g} ended at a bound: the bounds may exclude the best value",
                                       to_string(p.name), s.value));
      if (step.seeds > 0) {
        // sigma_u is infinite for a parameter that is not identifiable: no warning.
        const double shift = shift_in_units(p, best_u[k], step.shift_u[k]);
        const double noise = in_units(p, best_u[k], step.noise_u[k]).sigma;
        const double in_sigma = step.shift_u[k] / unc.sigma_u[k];
        e["sync_step_shift"] = {{"value", json_number(shift, 4)},
                                {"standard_error", json_number(noise, 3)},
                                {"in_sigma", unc.identifiable[k] ? json_number(in_sigma, 3) : json_doc(nullptr)}};
        if (significant_step_shift(step.shift_u[k], step.noise_u[k], unc.sigma_u[k]))
          warnings.push_back(step_shift_warning(to_string(p.name), fmt::format("{:+.3g}", shift), in_sigma,
                                                problem.sim().p_max, step.seeds));
      }
      params.push_back(e);
      outcome.parameters.push_back({to_string(p.name), s.value, unc.identifiable[k] ? s.sigma : inf,
                                    static_cast<bool>(unc.identifiable[k])});
    }
    json_doc corr = json_doc::array();
    for (std::size_t i = 0; i < n; ++i) {
      json_doc row = json_doc::array();
      for (std::size_t j = 0; j < n; ++j)
        row.push_back(unc.identifiable[i] && unc.identifiable[j] ? json_number(unc.correlation[i][j], 4) : json_doc(nullptr));
      corr.push_back(row);
    }
    json_doc objective_history = json_doc::array();
    for (const auto& e : history) objective_history.push_back(json_number(sum_of_squares(e.residuals), 8));
    json_doc curve_doc = json_doc::array();
    {
      std::size_t at = 0;
      for (std::size_t c = 0; c < curves.size(); ++c) {
        const auto& m = curves[c].measured;
        double ss = 0, ss_model = 0;
        const auto [lo, hi] = std::minmax_element(m.value.begin(), m.value.end());
        for (std::size_t k = 0; k < m.t_s.size(); ++k, ++at) {
          ss += best_r[at] * best_r[at];
          ss_model += (model[c][k] - m.value[k]) * (model[c][k] - m.value[k]);
        }
        const double rms = std::sqrt(ss_model / static_cast<double>(m.t_s.size()));
        curve_doc.push_back({{"label", curves[c].spec.label},
                             {"file", curves[c].spec.file},
                             {"quantity", m.quantity == measured_quantity::conductance ? "conductance" : "current"},
                             {"points", m.t_s.size()},
                             {"temperature_k", problem.device_at(best_values, c).temperature_k},
                             {"sigma", m.has_sigma() ? "from the file" : "none given: the curve's range"},
                             {"sum_of_squares", json_number(ss, 6)},
                             {"rms_residual", json_number(rms, 4)},
                             {"nrmse", json_number(*hi > *lo ? rms / (*hi - *lo) : rms, 4)},
                             {"csv", fmt::format("curve{}.csv", c)}});
      }
    }
    const kmc::device_params d0 = problem.device_at(best_values, 0);
    const arrhenius_pair arrhenius = arrhenius_summary(problem, best_u, unc);
    if (arrhenius.present && step.seeds > 0 &&
        significant_step_shift(step.rate_shift_relative, step.rate_noise_relative, arrhenius.rate_rel_sigma))
      warnings.push_back(step_shift_warning(fmt::format("the hop rate at {:.1f} K", arrhenius.t_ref_k),
                                            fmt::format("{:+.3g} %", 100 * step.rate_shift_relative),
                                            step.rate_shift_relative / arrhenius.rate_rel_sigma, problem.sim().p_max,
                                            step.seeds));
    json_doc doc = {
        {"command", "ionrail fit " + path},
        {"engine", kmc::engine_version()},
        {"git", git_hash()},
        {"parameters", params},
        {"correlation", corr},
        {"arrhenius",
         arrhenius.present
             ? json_doc{{"t_ref_k", json_number(arrhenius.t_ref_k, 6)},
                        {"rate_hz", json_number(arrhenius.rate_hz, 6)},
                        {"rate_relative_uncertainty", json_number(arrhenius.rate_rel_sigma, 4)},
                        {"correlation_ea_nu", json_number(arrhenius.correlation, 5)},
                        {"correlation_ea_ln_rate", json_number(arrhenius.centred_correlation, 5)},
                        {"rate_sync_step_shift_relative",
                         step.seeds > 0 ? json_number(step.rate_shift_relative, 3) : json_doc(nullptr)},
                        {"rate_sync_step_shift_standard_error",
                         step.seeds > 0 ? json_number(step.rate_noise_relative, 3) : json_doc(nullptr)},
                        {"temperatures", arrhenius.temperatures},
                        {"note", "the curves depend on activation energy and attempt frequency mostly through the hop "
                                 "rate nu0 exp(-Ea / kB T): its value at T_ref, the curves' mean temperature (harmonic, "
                                 "over their points), is the combination they fix"}}
             : json_doc(nullptr)},
        {"objective", {{"value", json_number(best_objective, 8)},
                       {"definition", "sum over curves and points of (weight (model - measured) / sigma)^2"},
                       {"history", objective_history}}},
        {"uncertainty_method",
         fmt::format("Gauss-Newton (Fisher): covariance s2 F (J^T J)^-1 at the optimum, J by finite differences of the "
                     "residuals with steps of {} of each range, s2 = objective / (N - p) = {:.4g} with N - p = {}, F = {:.3g} "
                     "the AR(1) factor (1 + rho) / (1 - rho) of the residuals' lag-1 autocorrelation rho per curve, "
                     "weighted by each curve's sum of squares; plus the model draw's covariance from {} other seeds "
                     "(sum d d^T / 2K of their shifts d from the fit's fixed point, each walking up to {} Gauss-Newton "
                     "steps from the optimum with the fit's Jacobian){}",
                     fp.jacobian_step, unc.s2, unc.dof, unc.correlation_inflation, fp.replicates, fp.replicate_steps,
                     fp.device_rails > 0
                         ? fmt::format(", times 1 + {:.6g} for the measured device's own draw (fit.device_rails = {}; "
                                       "{} rails per model curve)",
                                       device_draw_ratio, fp.device_rails, model_rails)
                         : std::string())},
        {"lag1_autocorrelation", [&] {
           json_doc a = json_doc::array();
           for (double x : unc.lag1_autocorrelation) a.push_back(json_number(x, 4));
           return a;
         }()},
        {"fisher_eigenvalues_normalised", [&] {
           json_doc a = json_doc::array();
           for (double x : unc.eigenvalues) a.push_back(json_number(x, 4));
           return a;
         }()},
        {"warnings", warnings},
        {"curves", curve_doc},
        {"cost", {{"wall_s", json_number(wall_s, 4)},
                  {"evaluations", asked},
                  {"optimiser_evaluations", opt.evaluations},
                  {"gauss_newton_evaluations", refined.evaluations},
                  {"gauss_newton_steps_accepted", refined.accepted_steps},
                  {"gauss_newton_converged", refined.converged()},
                  {"gauss_newton_stop_reason", to_string(refined.stop)},
                  {"replicate_evaluations", draw.evaluations},
                  {"sync_step_check_seeds", step.seeds},
                  {"sync_step_check_evaluations", step_check_evaluations},
                  {"sim_p_max", json_number(problem.sim().p_max, 6)},
                  {"optimiser_best_objective", json_number(opt.best_objective, 8)},
                  {"replayed_from_checkpoint", replayable},
                  {"algorithm", algorithm},
                  {"stop_reason", opt.stop_reason},
                  {"rails_per_evaluation", d0.rails},
                  {"sites", d0.sites},
                  {"seed", fp.seed},
                  {"threads", omp_get_max_threads()},
                  {"backend", problem.has_backend() ? "cuda" : "cpu"}}},
        {"parameters_resolved", parameters_json(cfg)}};
    write_json(out / "fit.json", doc);

    // plots.gp: per curve the measurement over the fitted model, and the
    // normalised residuals; the objective against evaluation.
    std::ostringstream gp;
    gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
          "set grid\nset key top left\n";
    for (std::size_t c = 0; c < curves.size(); ++c) {
      const auto& m = curves[c].measured;
      const bool g = m.quantity == measured_quantity::conductance;
      const std::string title = gnuplot_quoted(curves[c].spec.label);
      gp << fmt::format("set output 'curve{0}.png'\nset title '{1}'\nset xlabel 'time (s)'\nset ylabel '{2}'\n"
                        "plot 'curve{0}.csv' skip 1 using 1:($2*{3}):($3*{3}) with yerrorbars pt 7 ps 0.5 lc rgb '#888888' "
                        "title 'measured', '' skip 1 using 1:($4*{3}) with lines lw 2 lc rgb '#c0392b' title 'fitted model'\n",
                        c, title, g ? "conductance (µS)" : "current (µA)", g ? "1e6" : "1e6");
      gp << fmt::format("set output 'curve{0}_residuals.png'\nset title '{1}'\nset ylabel 'residual / sigma'\n"
                        "plot 'curve{0}.csv' skip 1 using 1:6 with points pt 7 ps 0.5 title 'normalised residual', 0 with "
                        "lines lc rgb 'black' notitle\n",
                        c, gnuplot_quoted(curves[c].spec.label + ": residuals"));
    }
    for (std::size_t k = 0; k < profiles.size(); ++k) {
      if (!profiles[k].computed) continue;
      const parameter_profile& pr = profiles[k];
      // One side's fitted parabola in gnuplot's x (Fisher sigmas), or nothing.
      auto side_curve = [&](double end_u) {
        if (!std::isfinite(end_u)) return std::string("1/0");
        const double width = std::fabs(end_u - best_u[k]) / pr.sigma_data_u;
        return fmt::format("({:.6g} + x**2 / {:.6g})", pr.offset, width * width);
      };
      std::string csv = "offset_sigma,value,rise\n";
      for (std::size_t i = 0; i < pr.u.size(); ++i)
        csv += fmt::format("{:.6g},{:.10g},{:.6g}\n", (pr.u[i] - best_u[k]) / pr.sigma_data_u,
                           in_units(fp.parameters[k], pr.u[i], 0).value, pr.rise[i]);
      model_io::write_file_atomic(out / fmt::format("profile{}.csv", k), csv);
      gp << fmt::format("set output 'profile{0}.png'\nset title '{1}: profile likelihood'\n"
                        "set xlabel 'held at best + x Fisher sigma (data part)'\nset ylabel 'rise of the objective / (s2 F)'\n"
                        "plot 'profile{0}.csv' skip 1 using 1:3 with points pt 7 ps 1.2 title 'profile (others "
                        "re-minimised)', x**2 with lines dt 2 lc rgb '#888888' title 'Fisher (quadratic)', "
                        "(x < 0 ? {2} : {3}) with lines lw 2 lc rgb '#c0392b' title 'fitted c + x^2/s^2'\n",
                        k, gnuplot_quoted(to_string(fp.parameters[k].name)), side_curve(pr.low_u), side_curve(pr.high_u));
    }
    gp << "set output 'objective.png'\nset title 'objective per evaluation'\nset xlabel 'evaluation'\n"
          "set ylabel 'sum of squares'\nset logscale y\nplot 'history.csv' skip 1 using 1:2 with linespoints pt 7 ps 0.5 "
          "notitle\nunset logscale y\n";
    model_io::write_file_atomic(out / "plots.gp", gp.str());
    const bool plotted = render_plots(out.string(), options.quiet);

    // report.md
    std::string md = fmt::format("# Fit of `{}`\n\n", path);
    md += fmt::format("{} curves, {} points, {} parameters; {} evaluations in {:.1f} s: {} by the optimiser ({}, "
                      "stopped: {}; objective {:.6g}), then {} for Gauss-Newton refinement ({} steps accepted, {}) and the "
                      "uncertainties (objective {:.6g}). Every evaluation simulated a KMC device of {} rails with the "
                      "same seed ({}) per curve (common random numbers).\n\n",
                      curves.size(), problem.residual_count(), n, asked, wall_s, opt.evaluations, algorithm,
                      opt.stop_reason, opt.best_objective, refined.evaluations, refined.accepted_steps,
                      to_string(refined.stop), best_objective,
                      d0.rails, fp.seed);
    if (!warnings.empty()) {
      md += "## Warnings\n\n";
      for (const auto& w : warnings) md += "- **" + w + "**\n";
      md += "\n";
    }
    md += "## Parameters\n\n| parameter | fitted | ± 1σ | 1σ interval | bounds | start | identifiable |\n"
          "| --- | --- | --- | --- | --- | --- | --- |\n";
    for (std::size_t k = 0; k < n; ++k) {
      const auto& p = fp.parameters[k];
      const shown_value s = in_units(p, best_u[k], unc.sigma_u[k]);
      md += fmt::format("| `{}` | {:.6g} | {} | {} | [{:g}, {:g}] ({}) | {:.6g} | {} |\n", material_key(p.name), s.value,
                        unc.identifiable[k] ? fmt::format("{:.3g}", s.sigma) : "—",
                        unc.identifiable[k] ? fmt::format("[{:.6g}, {:.6g}]", s.low, s.high) : "—", p.lower, p.upper,
                        p.scale == fit_scale::log ? "log" : "linear", p.start,
                        unc.identifiable[k] ? "yes" : "**no**: " + unc.why_not[k]);
    }
    md += fmt::format("\nUncertainties: Gauss–Newton (Fisher) covariance s²·F·(JᵀJ)⁻¹ at the optimum, J from finite "
                      "differences of the residuals (steps of {} of each range in its scale), s² = objective / (N − p) "
                      "= {:.4g}, F = {:.3g} for residuals correlated in time (AR(1): (1 + ρ)/(1 − ρ) of each curve's "
                      "lag-1 autocorrelation ρ), plus the covariance of the model's own draw, estimated from {} other "
                      "seeds, each walked to its own fixed point (up to {} Gauss–Newton steps){}. The 95 % interval "
                      "is ± 2σ. Correlations:\n\n| |",
                      fp.jacobian_step, unc.s2, unc.correlation_inflation, fp.replicates, fp.replicate_steps,
                      fp.device_rails > 0 ? fmt::format(", and of the measured device's own draw ({} rails: the "
                                                        "model draw's covariance times {:.3g})",
                                                        fp.device_rails, device_draw_ratio)
                                          : std::string());
    for (const auto& p : fp.parameters) md += fmt::format(" {} |", to_string(p.name));
    md += "\n|---|";
    for (std::size_t k = 0; k < n; ++k) md += "---|";
    md += "\n";
    for (std::size_t i = 0; i < n; ++i) {
      md += fmt::format("| {} |", to_string(fp.parameters[i].name));
      for (std::size_t j = 0; j < n; ++j)
        md += unc.identifiable[i] && unc.identifiable[j] ? fmt::format(" {:.3f} |", unc.correlation[i][j]) : " — |";
      md += "\n";
    }
    if (arrhenius.present)
      md += fmt::format("\nThe curves depend on the activation energy and the attempt frequency (correlation {:.4f}) "
                        "mostly through the hop rate ν0 exp(−Ea/kB T). The combination they fix: the hop rate at "
                        "T_ref = {:.1f} K (the curves' mean temperature, harmonic over their points), **{:.4g} Hz ± "
                        "{:.2g} %** (fit.json `arrhenius`).\n",
                        arrhenius.correlation, arrhenius.t_ref_k, arrhenius.rate_hz, 100 * arrhenius.rate_rel_sigma) +
            (arrhenius.temperatures < 2
                 ? std::string("At one temperature that rate is all the curves fix: neither parameter is identifiable "
                               "alone; curves at two or more temperatures separate them.\n")
                 : fmt::format("The curves span {} temperatures; the activation energy's correlation with ln Γ(T_ref), "
                               "which decides whether they separate it from the attempt frequency, is {:.4f}.\n",
                               arrhenius.temperatures, arrhenius.centred_correlation));
    if (step.seeds > 0) {
      md += fmt::format("\n**The solver's step.** The sync solver's error is first order in its step (sim.p_max = {:g}); "
                        "halving the step at the optimum ({} seeds) moves the parameters towards the continuous-time "
                        "model by about twice what the halving moves them:\n\n| parameter | shift to the continuous-time "
                        "limit | ± standard error | in σ |\n|---|---|---|---|\n",
                        problem.sim().p_max, step.seeds);
      for (std::size_t k = 0; k < n; ++k) {
        const auto& p = fp.parameters[k];
        md += fmt::format("| `{}` | {:+.3g} | {:.2g} | {} |\n", material_key(p.name),
                          shift_in_units(p, best_u[k], step.shift_u[k]),
                          in_units(p, best_u[k], step.noise_u[k]).sigma,
                          unc.identifiable[k] ? fmt::format("{:+.2f}", step.shift_u[k] / unc.sigma_u[k]) : "—");
      }
      if (arrhenius.present)
        md += fmt::format("| hop rate at T_ref | {:+.3g} % | {:.2g} % | {:+.2f} |\n", 100 * step.rate_shift_relative,
                          100 * step.rate_noise_relative, step.rate_shift_relative / arrhenius.rate_rel_sigma);
      md += "\nA shift larger than σ (warned above) means the fit answers for the solver's step as much as for the "
            "data: fit again with a smaller `sim.p_max` (docs/measurements.md).\n";
    }
    md += "\nThe fitted material is `material.toml` (for `ionrail run` and `ionrail calibrate`).\n\n## Curves\n\n";
    for (std::size_t c = 0; c < curves.size(); ++c) {
      const auto& j = curve_doc[c];
      md += fmt::format("### {} ({}, {} points, T = {} K)\n\nRMS residual {:.4g} {} (NRMSE {:.2f} % of the curve's "
                        "range). Data: `curve{}.csv`.\n\n",
                        curves[c].spec.label, curves[c].spec.file, curves[c].measured.t_s.size(),
                        problem.device_at(best_values, c).temperature_k, j["rms_residual"].get<double>(),
                        unit_of(curves[c].measured.quantity), 100 * j["nrmse"].get<double>(), c);
      if (plotted) md += fmt::format("![measured and fitted](curve{0}.png)\n\n![residuals](curve{0}_residuals.png)\n\n", c);
    }
    if (!profiles.empty()) {
      md += "## Profile likelihood\n\nEach parameter held at ±1, ±2 and ±3 of its Fisher σ (the data's part), the "
            "others minimised again; the rise of the objective over s²·F (the Fisher covariance's scale) fitted as "
            "c + x²/σ² on each side with one offset c (the KMC objective is rough at this scale and the optimum sits "
            "below the trend by its draw's luck: c in fit.json, optimum_below_trend). Where the profile interval "
            "matches the Fisher one the linearisation holds; an asymmetric or wider one is the better statement. The "
            "last column adds the model-draw variance on each side.\n\n"
            "| parameter | fitted | Fisher 1σ interval (data) | profile 1σ interval | with the model draw |\n"
            "| --- | --- | --- | --- | --- |\n";
      for (std::size_t k = 0; k < n; ++k) {
        if (!profiles[k].computed) continue;
        const auto& p = fp.parameters[k];
        const parameter_profile& pr = profiles[k];
        auto val = [&](double u) { return std::isfinite(u) ? fmt::format("{:.6g}", in_units(p, u, 0).value) : std::string("(a bound)"); };
        auto widened = [&](double u) { return val(with_model_draw(u, best_u[k], unc.sigma_model_u[k])); };
        md += fmt::format("| `{}` | {:.6g} | [{}, {}] | [{}, {}] | [{}, {}] |\n", material_key(p.name),
                          in_units(p, best_u[k], 0).value, val(best_u[k] - pr.sigma_data_u), val(best_u[k] + pr.sigma_data_u),
                          val(pr.low_u), val(pr.high_u), widened(pr.low_u), widened(pr.high_u));
      }
      md += "\n";
      if (plotted)
        for (std::size_t k = 0; k < n; ++k)
          if (profiles[k].computed) md += fmt::format("![profile of {0}](profile{1}.png)\n\n", to_string(fp.parameters[k].name), k);
    }
    if (plotted) md += "## Objective\n\n![objective per evaluation](objective.png)\n";
    else md += "(The plots were not drawn: gnuplot was not found, or it failed (plots.log); `ionrail plot DIR` draws them "
               "from plots.gp.)\n";
    model_io::write_file_atomic(out / "report.md", md);

    dir.commit();
    fs::remove_all(checkpoint);
    for (const auto& w : warnings) fmt::print(stderr, "ionrail fit: warning: {}\n", w);
    outcome.out_dir = options.out_dir;
    return outcome;
  } catch (const interrupted&) {
    throw;
  } catch (const input_error&) {
    if (!options.resume || history.size() > replayable) remove_quietly(checkpoint);
    throw;
  } catch (...) {
    if (!options.resume && history.empty()) remove_quietly(checkpoint);
    throw;
  }
}

}  // namespace ionrail::runs
