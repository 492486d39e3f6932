#pragma once
// Fidelity of a response table: model devices stepped through a drive next
// to a KMC ensemble of the same size under the same drive; the mean
// conductance's NRMSE and the device-to-device spread ratio are the
// project's fidelity bars (docs/compact-model.md: NRMSE <= 5 %, spread ratio
// within a factor 1.5).
#include <functional>
#include <memory>
#include <vector>

#include <ionrail/calibration/ensemble.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/voltage_source.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::calibration {

struct fidelity_figures {
  int devices = 0;
  double nrmse_mean_g = 0;   // RMS(mean G model − mean G KMC) / (max − min of mean G KMC)
  double spread_ratio = 0;   // time-averaged device-to-device std of G, model / KMC
  bool compared = false;
};

// The bar a table must meet on protocols it was not calibrated on: the mean
// conductance within 5 % NRMSE of KMC's, the device-to-device spread within a
// factor 1.5 of KMC's (docs/compact-model.md).
inline constexpr double fidelity_nrmse_max = 0.05;
inline constexpr double fidelity_spread_factor = 1.5;
inline bool meets_fidelity_bar(const fidelity_figures& f) {
  return f.nrmse_mean_g <= fidelity_nrmse_max && f.spread_ratio <= fidelity_spread_factor &&
         f.spread_ratio >= 1 / fidelity_spread_factor;
}

// What a replay needs besides the table: the calibration's metadata, the
// KMC side (for the comparison) and the drive.
struct replay_setup {
  double dt_m = 0, s_eq = 0, var_initial = 0, var_initial_slow = 0;
  int devices = 0, device_rails = 0;
  kmc::device_params device;
  kmc::sim_params sim;
  kmc::solver_factory backend;
  std::shared_ptr<const kmc::voltage_source> voltage;
  double duration_s = 0;
  bool compare_kmc = false;
  // false: the model devices run without noise and all start at s_eq with
  // δ = 0 (the compact model's noise-free mean path; `replay --no-noise`)
  bool noise = true;
  run_control* ctl = nullptr;  // a signal stops the KMC side (interrupted)
  // Called after each model step with the time reached (a progress bar); may
  // be called from a worker thread.
  std::function<void(double)> on_step;
};

// Mean and device-to-device standard deviation of G at every model step.
struct replay_trace {
  std::vector<double> t, v, mean_model, std_model, mean_kmc, std_kmc;
};

// Model devices (and, with compare_kmc, the KMC ensemble) stepped through
// r.voltage for r.duration_s, one row per model step.
replay_trace replay_steps(const model::table& table, const replay_setup& r);

// NRMSE of the mean G (normalised by the KMC's range) and the ratio of the
// time-averaged device-to-device spreads; `compared` false without a KMC side.
fidelity_figures figures_of(const replay_trace& tr, int devices);

// The KMC step must resolve the drive at the model's time scale: unless the
// file caps it, the automatic step is at most dt_m / 4.
kmc::sim_params resolved_sim(const kmc::sim_params& sim, double dt_m);

}  // namespace ionrail::calibration
