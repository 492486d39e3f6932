#pragma once
// Calibration: KMC ensembles under rich random protocols, reduced to the
// response table of the compact model (spec compact-model §1): for every
// grid point of (state, V), the mean and standard deviation of the change of
// the state over one model step dt_m, and the conductance G(state).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::app {

struct calibration_params {
  int device_rails = 100;      // rails per model device: the device size the noise is calibrated for
  int devices = 32;            // devices per KMC run (rail classes, each with its own mean field)
  int runs = 4;                // independent KMC runs, each under its own random protocol
  double duration_s = 600.0;   // simulated time per run
  double dt_m_s = 0.05;        // the compact model's step
  double v_max_v = 10.0;       // random protocols span [-v_max, +v_max]
  int state_bits = 6;          // state grid spacing 2^-state_bits over [0, 1]
  double v_step_v = 0.5;       // voltage grid spacing
  double noise_lag_s = 1.0;    // window over which the noise variance is measured (see transition_bins)
  std::uint64_t seed = 1;
};

// A random protocol: pulse trains, holds at 0 V (relaxation), triangular
// sweeps and random levels, drawn from (seed, index) until `duration_s`.
std::shared_ptr<kmc::piecewise_linear_voltage> random_protocol(const calibration_params& c, std::uint64_t index);

// Statistics of Δstate per (state, V) bin, bins centred on the grid points.
// The drift is the mean Δs. The noise is NOT the spread of Δs within a bin,
// which pools transitions of different histories (a freshly packed layer and
// a relaxing one at the same s and V move differently: hidden state, not
// noise); it is the spread of Δs across the devices of one run at one step,
// which share V(t) and their history and differ only by finite-size chance.
// That spread is measured over a lag of several steps and divided by their
// number: over one step it is dominated by ions crossing the zone boundary
// and back, anti-correlated from step to step, which a model drawing
// independent noise each step would accumulate into far too wide a spread.
struct transition_bins {
  int n_s = 0, n_v = 0;
  double ds = 0, dv = 0, v0 = 0;  // grid: s_i = i ds, V_j = v0 + j dv
  std::vector<long long> count;
  std::vector<double> sum;          // Σ Δs over one step
  std::vector<long long> noise_count;
  std::vector<double> noise_sum;    // Σ (Δ_lag s − its mean over the run's devices)² · D/(D−1) / lag_steps

  transition_bins(int state_bits, double v_step, double v_max);
  void add(double s, double v, double delta);
  void add_noise(double s, double v, double per_step_variance);
  void merge(const transition_bins& other);
  int index(int i, int j) const { return i * n_v + j; }
};

// A KMC engine whose rail classes are independent devices of
// `device_rails` rails each (identical parameters, a mean field per class).
kmc::device_params ensemble_device(const kmc::device_params& material, int devices, int device_rails);
// The readout state of each device (class) from the engine's positions.
std::vector<double> device_states(const kmc::engine& e, int devices);

// Runs the calibration ensembles (runs in parallel over OpenMP threads) and
// returns the merged bins. With a checkpoint directory, each finished run's
// bins are saved there (exactly, in hexfloat) and runs already saved are
// loaded instead of simulated, so an interrupted calibration resumes to the
// same bits. `backend` (empty: CPU) builds the engines' solver.
transition_bins collect_transitions(const kmc::device_params& material, const kmc::sim_params& sim,
                                    const calibration_params& c, bool quiet, const std::string& checkpoint_dir = "",
                                    const kmc::solver_factory& backend = {});

}  // namespace ionrail::app

namespace ionrail::app {

struct calibrate_options {
  std::string out_dir = "out/table";
  bool force = false;
  bool resume = false;   // reuse the runs saved in DIR.checkpoint by an interrupted calibration
  bool quiet = false;
  std::vector<std::string> overrides;
};
// `ionrail calibrate FILE --out DIR`: the table in four formats plus metadata.
void run_calibration(const std::string& path, const calibrate_options& options);

struct replay_options {
  std::string table_dir;
  std::string protocol_file;
  std::string out_dir = "out/replay";
  bool compare_kmc = false;
  bool force = false;
  bool quiet = false;
  std::vector<std::string> overrides;
};
struct fidelity_figures {
  int devices = 0;
  double nrmse_mean_g = 0;   // RMS(mean G model − mean G KMC) / (max − min of mean G KMC)
  double spread_ratio = 0;   // time-averaged device-to-device std of G, model / KMC
  bool compared = false;
};
// `ionrail replay DIR --protocol FILE [--compare-kmc]`.
fidelity_figures run_replay(const replay_options& options);

}  // namespace ionrail::app
