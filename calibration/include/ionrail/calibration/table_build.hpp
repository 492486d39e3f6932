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

// Writes every format into DIR; table.json records the fill and noise rules,
// the visited bins and `calibration_json` (a JSON object: the calibration's
// parameters and figures) as "calibration".
void write_table(const std::string& dir, const table_build& t, const std::string& calibration_json);

}  // namespace ionrail::calibration
