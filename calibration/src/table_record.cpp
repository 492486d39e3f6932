// The calibration's record in table.json (rules, visited bins, parameters),
// written with the table through model_io.
#include <ionrail/calibration/table_build.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include <ionrail/model_io/table_files.hpp>

namespace ionrail::calibration {

void write_table(const std::string& dir, const table_build& t, const std::string& calibration_json) {
  model_io::table_record record;
  record.state_variables = t.state_variables;
  record.samples = t.samples;
  record.visited = t.visited;
  nlohmann::ordered_json noise_rule;
  noise_rule["estimator"] =
      "slow noise: cross-device variance of the state change over the noise lag, per step, less the fast "
      "fluctuation's share 2 fluct^2 (1 - rho^L) / L; fluct: cross-device standard deviation of the state at (mean "
      "state, V); rho: lag-one-step autocorrelation of the device deviations";
  noise_rule["equilibrium_variance"] = t.equilibrium_variance;
  noise_rule["model_equilibrium_variance"] = t.model_equilibrium_variance;
  noise_rule["restoring_per_step"] = t.restoring_per_step;
  // The ρ of each voltage column (v_min_v upwards) that its drift's reversion correction used.
  const nlohmann::ordered_json drift_rule = {
      {"estimator",
       "mean state change over one model step of each device, from steps whose voltage stays within half a voltage "
       "step (a step across a pulse edge is left out), plus (1 - rho_V) times the device's deviation from its run's "
       "mean (the fast fluctuation's reversion, taken out at the rho measured at the step's voltage V)"},
      {"reversion_rho_per_volt", t.reversion_rho}};
  record.json_members = {
      {"drift_rule", drift_rule.dump()},
      {"fill_rule", nlohmann::json("bins with fewer than " + std::to_string(t.min_samples) +
                                   " transitions take the nearest visited state at the same voltage (lower on a tie), a "
                                   "drift beyond the visited states never pointing further out (clipped at zero), then "
                                   "the nearest filled voltage")
                        .dump()},
      {"noise_rule", noise_rule.dump()},
      {"visited_bins", std::to_string(std::count(t.visited.begin(), t.visited.end(), 1))},
      // Parsed and written again: table.json is valid JSON whatever the caller passed.
      {"calibration", nlohmann::ordered_json::parse(calibration_json).dump()}};
  model_io::write_table(dir, t.table, record);
}

}  // namespace ionrail::calibration
