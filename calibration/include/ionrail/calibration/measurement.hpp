#pragma once
// Measured responses a user brings (`ionrail fit`, docs/measurements.md): the
// settings of a fit (the [fit] section with its [[fit.curve]] and
// [[fit.parameter]] entries, read by ionrail::config) and the CSV files of
// measured curves, read and checked here. Standard library and kmc only.
#include <cstdint>
#include <string>
#include <vector>

#include <ionrail/kmc/params.hpp>

namespace ionrail::calibration {

// The material parameters a fit can vary (docs/measurements.md lists them).
enum class fit_parameter_name {
  activation_energy_ev,   // species[0].activation_energy_ev
  attempt_frequency_hz,   // species[0].attempt_frequency_hz
  fill,                   // species[0].fill
  ion_density_m3,         // field.ion_density_m3
  rel_permittivity,       // field.rel_permittivity
  g0_s,                   // readout.g0_s
  g1_s,                   // readout.g1_s
};

const char* to_string(fit_parameter_name p);
// The key of the material file the parameter is ("species.activation_energy_ev").
const char* material_key(fit_parameter_name p);
double get_parameter(const kmc::device_params& d, fit_parameter_name p);
void set_parameter(kmc::device_params& d, fit_parameter_name p, double value);

enum class fit_scale { linear, log };
enum class fit_algorithm { bobyqa, neldermead, sbplx, cobyla };
const char* to_string(fit_algorithm a);

// One [[fit.parameter]]: a parameter varied between bounds, in log10 or
// linear scale (the optimiser and the uncertainties work in that scale).
struct fit_parameter_spec {
  fit_parameter_name name = fit_parameter_name::activation_energy_ev;
  double lower = 0;
  double upper = 0;
  fit_scale scale = fit_scale::linear;
  double start = 0;  // resolved: the material's value unless given
  std::uint32_t line = 0;  // where it was declared (for messages)
};

// One [[fit.curve]]: a measured CSV and how it was driven.
struct fit_curve_spec {
  std::string file;          // the measured response (resolved path)
  std::string waveform;      // the applied V(t) as a waveform CSV; "": the file's v_v column
  std::string label;         // in the report; default: the file's stem
  double temperature_k = 0;  // 0: the material's device.temperature_k
  double weight = 1;         // multiplies the curve's residuals
};

struct fit_params {
  int rails = 0;                   // rails of the model device per evaluation (0: device.rails)
  std::uint64_t seed = 1;          // the one seed of every evaluation (common random numbers)
  int max_evaluations = 80;        // optimiser evaluations at most
  fit_algorithm algorithm = fit_algorithm::bobyqa;
  double rel_tolerance = 1e-3;     // stop when a step changes every scaled parameter by less (of its range)
  double jacobian_step = 0.02;     // finite-difference step for the uncertainties, fraction of each range
  int refine_steps = 8;            // Gauss-Newton steps after the optimiser at most (refine_gauss_newton)
  int replicates = 8;              // other draws of the model at the optimum (model_noise_covariance)
  int replicate_steps = 4;         // Gauss-Newton steps each replicate walks at most (model_noise_covariance)
  int step_check_seeds = 4;        // draws at which the sync step is halved at the optimum (sync_step_check)
  // Rails of the measured device where it is itself a KMC ensemble (synthetic
  // data): its own draw, an error correlated over whole curves like the
  // model's, adds the model draw's covariance times fit.rails / device_rails.
  // 0: none (a real device's ion count makes it negligible).
  int device_rails = 0;
  bool profile = false;            // profile likelihood of every parameter (profile_likelihood)
  int profile_evaluations = 20;    // optimiser evaluations per profile point
  std::vector<fit_curve_spec> curves;
  std::vector<fit_parameter_spec> parameters;
};

// What a measured curve holds.
enum class measured_quantity { conductance, current };

// One measured curve: times, the measured value (S or A) and its standard
// uncertainty (0 where the file gives none), and the applied voltage where
// the file has a v_v column.
struct measured_curve {
  std::string file;
  measured_quantity quantity = measured_quantity::conductance;
  std::vector<double> t_s, value, sigma, v_v;
  std::vector<std::uint32_t> line;  // the file line of each row
  bool has_sigma() const { return !sigma.empty(); }
  bool has_voltage() const { return !v_v.empty(); }
};

// Reads a measured CSV (docs/measurements.md): a header naming every column
// with its unit (t_s, v_v, g_s, g_sigma_s, i_a, i_sigma_a), then rows of
// numbers; '#' lines are comments. Refused, with ionrail::input_error
// "FILE:LINE: what was found: what was expected", are: a column without a
// known unit, a row with another number of columns than the header, a value
// that is not a finite number (NaN, inf, text), times that do not increase
// strictly, an uncertainty <= 0, no data rows, neither or both of g_s and i_a.
measured_curve read_measured_curve(const std::string& path);

// ionrail::input_error "FILE:LINE: ..." for the first time of the curve past
// the end of its drive (duration_s, named drive_name): the model cannot be
// compared where it was not driven.
void check_within_drive(const measured_curve& c, double duration_s, const std::string& drive_name);

}  // namespace ionrail::calibration
