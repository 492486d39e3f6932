#pragma once
// A spiking network with memristive synapses whose plasticity comes from the
// devices themselves (docs/circuits.md): every input line (row) carries its
// neuron's spike waveform, every output line (column) its neuron's, and each
// synapse device sees V_pre(t) − V_post(t) for one model step at a time.
// Spike waveforms, τ model steps after the spike:
//   pre (on the row):     +pre_v for 0 <= τ < pre_steps (an eligibility window)
//   post (on the column): −post_v1 at τ = 0, +post_v2 at τ = 1
// A post spike within pre_steps of a pre spike puts pre_v + post_v1 across the
// device (strong potentiation), then pre_v − post_v2 (weak); a post spike with
// no recent pre spike puts +post_v1 (weak) then −post_v2 (strong
// depression). A lone pre spike puts pre_v across its devices, where a
// strongly nonlinear device barely moves. So synapses from inputs that fired
// just before the neuron grow and the others shrink: STDP is not a formula
// here, it is what the device does with the overlap of the waveforms.
// Network: rate-coded images, 8×8 digits (64 inputs) or 28×28 MNIST (784)
// alike (Poisson: a pixel of intensity x = p/16, or p/255 for MNIST, spikes
// with probability max_rate · x per step, or, with input_spikes set, every digit sends the
// same expected number of spikes per step whatever its ink, so that heavy
// digits do not win by mass), one layer of LIF neurons (model/lif.hpp) whose
// input is the read current Σ G_ij v_read over the inputs that spiked,
// winner-take-all lateral inhibition (a spike resets every other neuron) and
// adaptive thresholds (+theta_plus per spike, decaying by theta_decay per
// step). Training runs over several epochs with the programming drivers'
// levels falling by a factor anneal per epoch, so that later epochs refine
// what the first learned instead of overwriting it; the update is still the
// device's response to the waveforms' overlap. Unsupervised training; neurons are then
// labelled by the class they answer most, and a test digit is given the class
// whose neurons spike most.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/circuits/training_stop.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::circuits {

struct spike_waveform {
  double pre_v = 3.0;    // row level during the eligibility window
  int pre_steps = 3;     // steps of the window, from the pre spike on
  double post_v1 = 4.0;  // column level −post_v1 at the post spike
  double post_v2 = 6.0;  // column level +post_v2 one step later
  double pre(int tau) const { return tau >= 0 && tau < pre_steps ? pre_v : 0.0; }
  double post(int tau) const { return tau == 0 ? -post_v1 : (tau == 1 ? post_v2 : 0.0); }
};

struct snn_params {
  int neurons = 50;
  int epochs = 1;
  int present_steps = 20;    // model steps a digit is shown
  int rest_steps = 4;        // steps between digits: no input, neurons reset
  double max_rate = 0.5;     // spike probability per step of a full (16/16) pixel
  // > 0: rates scaled so that every digit sends this many input spikes per
  // step on average (rate_i = input_spikes · p_i / Σp, at most 1), whatever
  // its ink; 0: rate_i = max_rate · p_i / 16.
  double input_spikes = 0.0;
  // Programming levels fall from epoch to epoch (the row and column drivers'
  // levels are scaled by anneal^(epoch − 1)), so later epochs refine what
  // the first one learned instead of overwriting it.
  double anneal = 1.0;
  double v_read_v = 0.05;    // read voltage of a spiking input line
  double leak = 0.7;         // membrane retention per step
  double threshold = 8.0;    // membrane units (1 µA of input for one step = 1)
  double theta_plus = 0.5;   // threshold added per spike
  double theta_decay = 0.999;  // per step
  int refractory_steps = 1;
  // > 0: winner-take-all by distance, not by overlap. While an image is shown
  // every neuron's input loses a constant current
  //   b_j = distance_bias · v_read · n · Σ_i G_ij² / (2 · mean_k Σ_i G_ik),
  // n the image's expected input spikes per step (input_spikes, or Σ rates),
  // set from one read of the array before the image, so that the winner is
  // (for 1) the neuron whose conductances are nearest the image scaled to the
  // mean column's total conductance (argmax G_j·x − ‖G_j‖²/2s: k-means'
  // assignment), and a neuron whose synapses have grown everywhere no longer
  // wins every image.
  double distance_bias = 0.0;
  // > 0: recruiting silent neurons. A neuron that has not fired for
  // recruit_after training images takes the place of the winner on the next
  // training image (the one silent longest; ties to the lowest index): the
  // lateral-inhibition arbiter lets only it fire during that image, so its
  // column learns the image, as k-means re-seeds an empty cluster from a
  // data point. A recruit that does not fire in its image waits another
  // recruit_after images. The drivers keep one counter per neuron.
  int recruit_after = 0;
  spike_waveform waveform;
  double initial_state = 0.3;  // device slow state at the start
  double init_spread = 0.05;   // ± uniform spread of the initial states (breaks symmetry)
  int train_limit = 0;         // 0: all training digits
  int label_limit = 0;         // digits used for labelling (0: all training digits)
  int test_count = 450;
  bool noise = true;
  std::uint64_t seed = 1;      // run seed of the named streams (streams.hpp)
};

// The images a network learns from: any size, one input line per pixel.
struct snn_data {
  int rows = 8, cols = 8;           // image shape; inputs = rows · cols
  double full = 16;                 // pixel value of full intensity (16 digits, 255 MNIST)
  std::vector<std::uint8_t> pixels;  // count × inputs, row-major
  std::vector<int> labels;          // count, 0–9
  std::vector<int> train, test;     // indices into the set
  int inputs() const { return rows * cols; }
  const std::uint8_t* image(int k) const { return pixels.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(inputs()); }
};
snn_data snn_data_from_digits(const std::vector<digit>& data, const digit_split& split);
// MNIST at full resolution (784 inputs, intensity p/255); the split's test
// set is cut to its first test_count images when test_count is smaller.
snn_data snn_data_from_mnist(const mnist_set& set, const mnist_split& split, int test_count);

struct snn_report {
  double test_accuracy = 0;
  std::vector<double> epoch_test_accuracy;     // labelled and tested after each epoch; the last is test_accuracy
  std::vector<int> neuron_label;               // per neuron, -1 if it never fired
  std::vector<double> weights_before_s, weights_after_s;  // inputs × neurons, row-major
  std::array<std::array<int, 10>, 10> confusion{};
  long long train_spikes = 0;
  std::vector<long long> neuron_train_spikes;  // per neuron, over every training epoch
  std::vector<int> neuron_recruit_images;      // per neuron, training images it was given as a recruit (recruit_after)
  double seconds = 0;                          // wall time of the whole run (training, labelling, tests)
  std::vector<double> epoch_train_seconds;     // wall time of each epoch's training pass alone
  // Neurons that never fired while training; training images given to recruits.
  int silent_in_training() const {
    return static_cast<int>(std::count(neuron_train_spikes.begin(), neuron_train_spikes.end(), 0LL));
  }
  int recruit_images() const { return std::accumulate(neuron_recruit_images.begin(), neuron_recruit_images.end(), 0); }
};

// Spike probability per step of each of the 64 input lines for a digit.
std::array<double, 64> input_rates(const digit& d, const snn_params& p);
// The same for any image: `inputs` pixels, `full` the value of full intensity.
std::vector<double> input_rates(const std::uint8_t* pixels, int inputs, double full, const snn_params& p);

// distance_bias's input current of every neuron (A, per expected input spike
// per step): distance_bias · v_read · Σ_i G_ij² / (2 · mean_k Σ_i G_ik), from
// the conductances g_s (inputs × neurons, row-major, S).
std::vector<double> distance_bias_currents(const std::vector<double>& g_s, int inputs, int neurons, double distance_bias,
                                           double v_read_v);

// Scale of the programming waveforms' levels in epoch e (1-based).
double write_scale(const snn_params& p, int epoch);

// The work train_snn will do, in device updates (every device of the inputs x
// neurons array is read and may be programmed at every model step), from the
// parameters alone, so that a command can refuse a run that would not end.
// `train`, `test`: the digits of the split (train_limit, label_limit applied here).
double train_snn_work(const snn_params& p, std::size_t train, std::size_t test, int inputs = 64);

// The device updates of a learning step run on OpenMP threads; every device
// has its own noise stream, so the bits do not depend on the thread count.
// training_stopped when `stop` is raised (polled per image).
snn_report train_snn(const snn_data& data, const model::table& table, double dt_m_s, const snn_params& p,
                     const std::function<void(int, int)>& progress = {}, training_stop stop = {});
snn_report train_snn(const std::vector<digit>& data, const digit_split& split, const model::table& table,
                     double dt_m_s, const snn_params& p, const std::function<void(int, int)>& progress = {},
                     training_stop stop = {});

// The STDP window of a single device pair of spikes: the mean conductance
// change of `devices` devices (from `initial_state`) when a pre spike at step
// 0 is followed by a post spike at step delta (negative: post first), for
// every delta in [-max_delta, max_delta]. Returns (delta, mean ΔG in S).
std::vector<std::pair<int, double>> stdp_window(const model::table& table, const spike_waveform& w, double initial_state,
                                                int max_delta, int devices, bool noise, std::uint64_t seed);

// What a lone pre spike does (no post spike near it): the mean conductance
// change of `devices` devices stepped through one pre waveform alone. The
// learning rule rests on it being small next to a coincidence's change: every
// input spike puts pre_v on its row's devices in every column, so in a
// network this change accrues on every neuron's inputs at the input rate,
// while a coincidence comes only with the neuron's own spikes.
double lone_pre_change(const model::table& table, const spike_waveform& w, double initial_state, int devices, bool noise,
                       std::uint64_t seed);

}  // namespace ionrail::circuits
