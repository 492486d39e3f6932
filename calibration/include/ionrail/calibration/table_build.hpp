#pragma once
// Calibration's transition bins turned into the compact model's response
// table, and that table written with its calibration record
// (model_io::write_table: every format, table.json last).
#include <string>
#include <vector>

#include <ionrail/calibration/ensemble.hpp>
#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::calibration {

struct table_build {
  model::table table;
  std::vector<long long> samples;   // per (s, V) bin
  std::vector<int> visited;         // 1 if the bin had at least min_samples transitions
  int min_samples = 5;
  int state_variables = 2;          // 1: no fast fluctuation, the slow noise is the whole lagged variance
  double noise_scale = 1.0;         // the noise is used as measured (kept for the record)
  double equilibrium_variance = 0;  // device-to-device variance of s at rest (KMC)
  double model_equilibrium_variance = 0;  // what the table's drift and noise imply at rest
  double restoring_per_step = 0;    // −∂drift/∂s at (s_eq, 0 V)
  double fluct_rho = 0;             // measured lag-one-step autocorrelation of δ
  std::vector<double> reversion_rho;  // per voltage column: the ρ its drift's reversion correction used
};

// Means and standard deviations per bin → fixed-point table. Bins with fewer
// than min_samples transitions are filled from the nearest visited state at
// the same voltage (then from the nearest filled voltage) and flagged.
// The noise rule is transition_bins'; with state_variables = 1 the fast
// fluctuation is left out (zero, ρ = 0) and the slow noise is the whole
// lagged variance per step. `equilibrium_variance` (KMC at rest) is recorded
// with the variance the table implies there, as a check.
table_build build_table(const transition_bins& bins, const kmc::readout_params& readout, double s_eq,
                        double equilibrium_variance, int min_samples = min_bin_samples, int state_variables = 2);

// The fill rule of a table's unmeasured bins, on s-major arrays of ns × nv
// values where `seen` is 1 for a measured bin: nearest measured state at the
// same voltage (lower state first on a tie), then, for voltages never
// measured, the nearest voltage column that was. With `drift_rule`, a filled
// bin beyond the states measured at its voltage never points further out of
// them (an outward drift is set to zero): the device never went there under
// that voltage, so the model must not be driven there either (copying the
// drift of the last measured state, still on its way to the steady state,
// would run away past it).
void fill_unvisited(std::vector<double>& values, const std::vector<int>& seen, int ns, int nv, bool drift_rule);

// Writes every format into DIR; table.json records the fill and noise rules,
// the visited bins and `calibration_json` (a JSON object: the calibration's
// parameters and figures) as "calibration".
void write_table(const std::string& dir, const table_build& t, const std::string& calibration_json);

}  // namespace ionrail::calibration
