#pragma once
// Calibration (ionrail::calibrate): KMC ensembles under rich random
// protocols, reduced to the response table of the compact model
// (docs/compact-model.md): for every grid point of (state, V), the mean and
// standard deviation of the change of the state over one model step dt_m,
// and the conductance G(state).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::calibration {

class run_control;

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
  int state_variables = 2;     // 2: slow state + fast fluctuation; 1: the readout state alone (for comparison)
  std::uint64_t seed = 1;
};

// A bin enters the table with at least this many transitions (build_table).
inline constexpr int min_bin_samples = 5;

// Model steps per run (duration_s in steps of dt_m_s) and steps per noise lag.
int run_steps(const calibration_params& c);
int lag_steps(const calibration_params& c);

// ionrail::input_error naming `file` and the keys unless the calibration
// keys can work together: every key is in its own range (the loader checks
// that), but some pairs cannot give a table (a noise lag longer than a run,
// or shorter than the step it is counted in; a step longer than a run; a
// voltage step wider than the range; too few transitions for any bin to
// count). Checked before anything is simulated, so that such a calibration
// is refused at once instead of running on to a table that is empty or
// silently measured at another lag.
void check_settings(const calibration_params& c, const std::string& file);

// A random protocol: pulse trains, holds at 0 V (relaxation), triangular
// sweeps, random levels and reversals (a long strong hold of one sign, then
// a strong level of the other: the states a saturated device passes through
// only then), drawn from (seed, index) until `duration_s`.
std::shared_ptr<kmc::piecewise_linear_voltage> random_protocol(const calibration_params& c, std::uint64_t index);

// Statistics of Δstate per (state, V) bin, bins centred on the grid points,
// for the two-variable model: a slow state s and a fast fluctuation δ about
// it (docs/compact-model.md).
// - Drift: the mean Δs over one step of each device (per-device transitions),
//   corrected for the fast fluctuation's mean reversion: a device that sits
//   above the run's mean by dev moves back by (1 − ρ) dev on average, which is
//   δ relaxing, not the slow state moving. Binned by the device's own s, that
//   reversion would otherwise show up as a restoring drift toward the states
//   most visited (Tweedie's bias: (1 − ρ) σ² ∂ ln p(s)/∂s), a fake forgetting
//   that dominates a retentive device at rest. So the bins keep Σ dev too and
//   the drift is (Σ Δs + (1 − ρ) Σ dev) / n.
//   ρ is measured per voltage column: how fast a device's deviation reverts
//   depends on the field (at 0 V in a retentive film it hardly reverts, and
//   a pooled ρ would take out a reversion that is not there, turning the
//   spread of the devices' states into drift toward attractors).
// - Fast fluctuation: a device's deviation from the run's mean over its
//   devices (which share V(t) and their history and differ only by
//   finite-size chance) relaxes in a fraction of a second, by exchange across
//   the zone boundary under the device's own space charge. Its variance,
//   binned by (mean s, V), is the stationary σ² of δ; its lag-one-step
//   autocorrelation, pooled over every voltage, is the model's ρ.
// - Drift, fluctuation and ρ count only steps held at one voltage
//   (voltage_span); the noise over L steps is binned at their mean voltage.
// - Slow noise: the cross-device variance of the state change over a lag of
//   L steps, per step, minus what δ contributes to it (2σ²(1 − ρ^L)/L): the
//   part of the spread that accumulates.
struct transition_bins {
  int n_s = 0, n_v = 0;
  double ds = 0, dv = 0, v0 = 0;  // grid: s_i = i ds, V_j = v0 + j dv
  int lag_steps = 1;              // L
  std::vector<long long> count;
  std::vector<double> sum;          // Σ Δs over one step
  std::vector<double> dev_sum;      // Σ (s − the run's mean over its devices) at the start of the step
  std::vector<long long> noise_count;
  std::vector<double> noise_sum;    // Σ (Δ_L s − its mean over the run's devices)² · D/(D−1) / L
  std::vector<long long> fluct_count;
  std::vector<double> fluct_sum;    // Σ cross-device variance of s (unbiased), at (mean s, V)
  // Per voltage column (the step's voltage), over held steps only:
  std::vector<double> lag1_product;    // Σ dev(t) · dev(t − 1), dev = s − the run's mean
  std::vector<double> lag1_square;     // Σ dev(t − 1)²
  std::vector<long long> lag1_count;   // device-steps in those sums

  transition_bins(int state_bits, double v_step, double v_max, int lag = 1);
  // n_s · n_v of that grid, and the bytes of one transition_bins of it,
  // computed without allocating (for the memory estimate).
  static double cells_of(int state_bits, double v_step, double v_max);
  static constexpr double bytes_per_cell = 7 * 8.0;  // count, sum, dev_sum, noise_count, noise_sum, fluct_count, fluct_sum
  void add(double s, double v, double delta, double deviation = 0);
  void add_noise(double s, double v, double per_step_variance);
  void add_fluct(double mean_s, double v, double variance);
  void add_lag1(double v, double product, double square, long long device_steps);
  void merge(const transition_bins& other);
  int index(int i, int j) const { return i * n_v + j; }
  int column_of(double v) const;
  // ρ pooled over every voltage (the model's one δ autocorrelation).
  double fluct_rho() const;
  // ρ of the steps held at column j's voltage, or the pooled ρ where that
  // column has fewer than `min_device_steps` of them.
  double fluct_rho_at(int j, long long min_device_steps) const;
};

// The widest the drive's voltage moves within [t0_s, t1_s] (max − min, the
// ends and every corner inside). A step is binned only where this is at most
// half the voltage grid step: a step across a pulse edge is neither the
// voltage before nor the one after, and binned at its midpoint voltage it
// would give the 0 V column the state changes of part of a pulse.
double voltage_span(const kmc::piecewise_linear_voltage& drive, double t0_s, double t1_s);

// The largest memory the calibration grid takes at once, in bytes, with
// `at_once` runs simulated side by side: while the runs are collected, one
// transition_bins per run and their sum, and for each running run the text
// of its checkpoint (run_N.bins, run_N.state) written or read, with its copy;
// then the table built from the bins with its temporaries and its largest
// text file. Every term grows with state_bits, v_step_v and v_max_v (the
// grid) and the first with runs; the engines are not included.
double grid_memory_bytes(const calibration_params& c, int at_once);

// The drive calibration run `index` simulates: random_protocol(c, index)
// up to the end of its last model step (the protocol runs on past it).
std::shared_ptr<kmc::piecewise_linear_voltage> run_drive(const calibration_params& c, std::uint64_t index);
// `drive` cut at t_end_s (interpolated there), for the work estimates.
std::shared_ptr<kmc::piecewise_linear_voltage> drive_until(const kmc::piecewise_linear_voltage& drive, double t_end_s);

// A KMC engine whose rail classes are independent devices of
// `device_rails` rails each (identical parameters, a mean field per class).
kmc::device_params ensemble_device(const kmc::device_params& material, int devices, int device_rails);
// The readout state of each device (class) from the engine's positions.
std::vector<double> device_states(const kmc::engine& e, int devices);

// Runs the calibration ensembles (runs in parallel over OpenMP threads) and
// returns the merged bins. With a checkpoint directory, each finished run's
// bins are saved there (exactly, in hexfloat) and runs already saved are
// loaded instead of simulated, so an interrupted calibration resumes to the
// same bits. `backend` (empty: CPU) builds the engines' solver. With a
// controller (one worker per OpenMP thread), a raised flag saves each
// running run's state in the checkpoint directory (run_N.state: its bins so
// far and its engine) and a signal then ends the collection with
// `interrupted`; a run with a saved state continues from it, to the same bits.
// Every saved file (run_N.bins, run_N.state) is read and checked (header,
// size, checksum, grid, and the engine state against an engine of its run)
// before any run is simulated, so that a damaged one is refused at once
// (ionrail::input_error naming it) rather than when its run comes up.
transition_bins collect_transitions(const kmc::device_params& material, const kmc::sim_params& sim,
                                    const calibration_params& c, bool quiet, const std::string& checkpoint_dir = "",
                                    const kmc::solver_factory& backend = {}, run_control* ctl = nullptr);

}  // namespace ionrail::calibration
