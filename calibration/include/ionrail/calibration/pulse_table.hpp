#pragma once
// A response table built from a device's measured pulse responses instead of
// the KMC (`ionrail calibrate` on a file with [measured_table],
// docs/measurements.md): for devices the rail model does not describe. The
// same table format as a KMC calibration, so the crossbar, the SNN, SystemC,
// the RTL and the exports run on the user's own device.
//
// The data: pulse trains, each a CSV of reads; every row is the conductance
// read at t_s after (optionally) one pulse of v_v volts lasting width_s that
// started at the previous read, the rest of the interval at 0 V. Retention
// traces are trains without pulses.
//
// The model (docs/compact-model.md): a state s in [0, 1] that maps linearly
// onto the measured conductance range, g(s) = G_lo + (G_hi - G_lo) s; per
// model step dt_m a drift D(s, V) and a cycle-to-cycle noise N(s, V); and a
// read noise σ_r (the fast fluctuation δ with ρ = 0: independent at every
// read). How each is estimated is in build_pulse_table.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ionrail/model/table.hpp>

namespace ionrail::calibration {

// One read of a measured train. width_s = 0: no pulse before it (a
// retention read, or the first read).
struct pulse_read {
  double t_s = 0, v_v = 0, width_s = 0, g_s = 0;
  std::uint32_t line = 0;
};

struct pulse_train {
  std::string file;
  std::string label;
  bool held_out = false;  // not used to build the table; the fidelity is measured on it
  std::vector<pulse_read> rows;
};

// One [[measured_table.train]].
struct pulse_train_spec {
  std::string file;  // resolved path
  std::string label;
  bool held_out = false;
};

struct pulse_table_params {
  double dt_m_s = 0.05;     // the model step; every pulse width is a whole number of steps
  int state_bits = 5;       // state grid 2^-state_bits
  double v_step_v = 0.5;    // voltage grid spacing (a power of two volts)
  double v_max_v = 10.0;    // the voltage grid spans ±v_max_v
  int min_samples = 5;      // transitions a (state, amplitude) node needs to count as measured
  int devices = 64;         // model devices replayed through each held-out train
  std::uint64_t seed = 1;   // of the replayed devices' noise
  std::vector<pulse_train_spec> trains;
};

// Reads a pulse train CSV: columns t_s and g_s, and v_v with width_s (both or
// neither), any order, '#' comments. ionrail::input_error "FILE:LINE: ..."
// for everything read_unit_csv refuses and for: times not strictly
// increasing or negative, |g_s| > 2e-3 S (the model's conductance format), a width < 0 or longer than the
// time since the previous read, a first row with a pulse (the first read is
// the state the train starts from), |v_v| beyond `v_max_v`, a pulse width
// that is not a whole number of model steps dt_m_s, a pulse at 0 V.
pulse_train read_pulse_train(const std::string& path, const pulse_train_spec& spec, const pulse_table_params& p);

// Model steps of a row (after read_pulse_train's checks): the pulse's steps at
// v_v, then the rest up to the read at 0 V (the interval's remainder, rounded
// to whole steps).
struct row_steps {
  long long pulse = 0, rest = 0;
};
row_steps steps_of(const pulse_train& train, std::size_t row, double dt_m_s);
// Model steps of a whole train (its replay's length).
double train_steps(const pulse_train& train, double dt_m_s);

// What the table was built from, for table.json and the report.
struct amplitude_fit {
  double v = 0;                 // measured pulse amplitude (0: the rest drift from every interval at 0 V)
  long long transitions = 0;    // reads after a pulse of this amplitude (at 0: rest intervals)
  std::vector<double> drift;    // per state node (per model step), filled
  std::vector<double> noise;    // per state node (per model step), filled
  std::vector<double> weight;   // effective transitions per state node
  std::vector<int> measured;    // 1 where weight >= min_samples
};

struct pulse_table_build {
  model::table table;
  std::vector<long long> samples;  // per (s, V) bin: effective transitions at a measured amplitude, else 0
  std::vector<int> visited;        // 1 where the bin was measured (state node and amplitude), 0 where filled
  double g_lo_s = 0, g_hi_s = 0;   // the conductance range that s in [0, 1] spans
  double s_eq = 0;                 // the rest state (see build_pulse_table)
  std::string s_eq_rule;           // how s_eq was found
  double read_sigma = 0;           // σ_r, state units
  long long read_pairs = 0;        // consecutive transitions its estimate used
  double sinh_scale_pos_v = 0, sinh_scale_neg_v = 0;  // V_e below the smallest amplitude (0: linear)
  std::vector<amplitude_fit> amplitudes;  // rest first, then by voltage
  std::vector<std::string> warnings;      // said on stderr and in the report
};

// Builds the table from the trains that are not held out:
// 1. s = (G - G_lo) / (G_hi - G_lo) over the measured range.
// 2. Each interval between reads gives Δs; a pulse interval's share of it is
//    Δs less the rest drift over its rest steps; its rate per step (Δs over
//    the steps) is placed at the interval's midpoint state (the mean of the
//    two reads: the reads' independent errors then do not correlate with the
//    rate's, so the binning has no regression-to-the-mean bias at first
//    order) and spread onto the two nearest state nodes with tent weights,
//    weighted by the inverse of its variance (n N² + 2 σ_r², per step²).
//    The rest drift D(s, 0) comes from the intervals without pulses. The
//    model steps from each step's start state (Euler): D(s) = Φ(s + D(s)/2)
//    turns the rate Φ at the midpoint into the drift per step at the start.
// 3. Read noise: consecutive intervals' residuals r_k share the read
//    between them, E[r_k r_{k+1}] = -σ_r² whatever the drift noise.
//    Cycle-to-cycle noise: E[r²] = n N² + 2 σ_r² per node (ratio estimate).
//    Drift and noise are estimated twice, the second time with the weights
//    the first gave.
// 4. Unmeasured nodes at a measured amplitude: fill_unvisited's rule.
// 5. Voltages between measured amplitudes of one sign: the excess over the
//    rest drift, E = D(s, V) - D(s, 0), geometric in V where both ends have
//    one sign (exponential in V, as field-driven hopping), else linear;
//    below the smallest amplitude E(s, a1) sinh(V / V_e) / sinh(a1 / V_e),
//    V_e from the two smallest amplitudes' ratio (linear if there is one, or
//    the ratio is not above a2/a1); beyond the largest: held at the largest
//    (never extrapolated up); a polarity never measured: no excess (warned).
//    Noise² the same way (linear in V between amplitudes).
// 6. s_eq: the stable zero of the rest drift among measured nodes (nearest
//    the trains' mean first read), else the trains' mean first read.
// ionrail::input_error if the trains give no conductance range or no pulse.
pulse_table_build build_pulse_table(const std::vector<pulse_train>& trains, const pulse_table_params& p);

// A held-out train replayed by `devices` fixed-point model devices (noise on)
// that start at the state of its first read.
struct pulse_replay {
  std::vector<double> t_s, v_v, measured_s, mean_s, std_s;  // per read
  double nrmse = 0;          // RMS(mean model - measured) over the reads after the first / measured range
  double band_coverage = 0;  // fraction of those reads within the model's mean ± 2 sd (0.95 if the noise is right)
};
// `after_read` (if given) is called after each read, and every 65536 steps
// within a long interval, with the model steps taken so far (a progress bar;
// it may throw to stop the replay).
pulse_replay replay_pulse_train(const pulse_table_build& built, const pulse_train& train, const pulse_table_params& p,
                                const std::function<void(double)>& after_read = {});

}  // namespace ionrail::calibration
