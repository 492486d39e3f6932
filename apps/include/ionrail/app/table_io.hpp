#pragma once
// Response tables on disk (compact-model spec §4): table.csv (people),
// table.h (const arrays for embedded code), table.hex / table_noise.hex /
// table_fluct.hex / table_g.hex / table_coeff.hex (ρ, √(1 − ρ²)) ($readmemh
// for RTL), table.vh (Verilog defines of the grid and checksum for the RTL)
// and table.json (metadata: format version,
// grid, checksum, calibration parameters, samples per bin, rules used).
// Loading checks the format version, the grid and the checksum.
#include <cstdint>
#include <string>
#include <vector>

#include <ionrail/app/calibrate.hpp>
#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::app {

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
                        double equilibrium_variance, int min_samples = 5, int state_variables = 2);

// Writes the four formats into dir; `metadata_json` is inserted into table.json.
void write_table(const std::string& dir, const table_build& t, const std::string& metadata_json);

enum class table_format { csv, header, hex };
// Loads the table written by write_table from one of its formats, checking
// table.json's format version, grid and checksum; throws config_error naming the file.
model::table load_table(const std::string& dir, table_format format);
// A number recorded in dir/table.json (e.g. "dt_m_s"); config_error if absent.
double table_metadata(const std::string& dir, const std::string& key);

}  // namespace ionrail::app
