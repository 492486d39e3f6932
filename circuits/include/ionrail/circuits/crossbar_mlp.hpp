#pragma once
// A multi-layer perceptron of tiled crossbar layers, trained online sample by
// sample (docs/circuits.md, "MNIST on tiled crossbars"). Layer l is a
// tiled_layer of inputs_l (+1 bias line held at 1) × outputs_l differential
// pairs. Forward: each layer's ADC outputs are converted to weight units
// (one unit = ε, the nominal weight change of one write_outer pulse on a
// pair), scaled digitally by the layer's gain and passed through a digital
// sigmoid (hidden layers, so the next DAC gets a value in [0, 1]) or a
// softmax (output). Backward: the error is propagated digitally from the ADC
// outputs; the weights of a layer above are read as its pairs' conductances
// at 1 V (the transposed read of an ideal ADC). Updates are device
// programming pulses only (tiled_layer::write_outer):
//   manhattan        per layer one outer-product write per sample: rows whose
//                    input is at least active_input, columns whose error
//                    |δ| exceeds error_threshold, one pulse in −sign(δ);
//   pulse_train      BL slots; a row is driven with probability x_i, a column
//                    with probability min(1, pulse_train_gain·|δ_j|);
//   mixed_precision  (Nandakumar et al. 2020) a float32 accumulator χ per
//                    weight gathers −η/gain²·∂L/∂w in weight units (η acts on the
//                    effective weight gain·w); where |χ| ≥ 1
//                    (= ε), n = min(⌊|χ|⌋, max_pulses) pulses are applied and
//                    χ −= sign·n. Per tile, pulse round p (1..max_pulses) and
//                    sign, the weights still owed a pulse form a set that one
//                    V/2 write cannot address unless it is a product of rows
//                    × columns; it is written per row or per column, whichever
//                    needs fewer writes in that tile. The tiles of a layer
//                    write in parallel: the layer's write steps are the most
//                    any of its tiles needs, the others relax meanwhile.
// A float64 twin (the same network, the same initial weights read from the
// devices, the same sample order, plain SGD with learning rate η) is trained
// alongside for the comparison the report makes.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/circuits/training_stop.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::circuits {

enum class mlp_rule { manhattan, pulse_train, mixed_precision };

struct mlp_params {
  std::vector<int> hidden = {64};   // hidden layer sizes
  int tile_rows = 128, tile_cols = 128;
  mlp_rule rule = mlp_rule::mixed_precision;
  int epochs = 1;
  double learning_rate = 0.1;     // η on the effective weights gain · w (mixed precision, float baseline)
  double epsilon_s = 0;           // ε as a conductance change of the pair (S); 0: from the table (2 × mean step)
  int max_pulses = 4;             // per weight and sample (mixed precision)
  double transfer_threshold = 0.5;  // mixed precision: |χ| a weight needs to join a write that has owed weights (plan_transfer)
  double learning_rate_decay = 1;   // η of epoch e is learning_rate · decay^(e − 1) (both networks)
  double hidden_gain = 0.06;      // digital scale of a hidden layer's weight-unit sums before the sigmoid
  double output_gain = 0.4;       // of the output layer's before the softmax
  double adc_span = 8;            // ADC full scale (when crossbar_params' is 0): ±adc_span on gain · z
  double error_threshold = 0.05;  // manhattan: |δ| above which a column is written
  double active_input = 0.25;     // manhattan: inputs at least this drive their row
  int pulse_train_length = 8;     // pulse_train: slots per sample
  double pulse_train_gain = 4;    // pulse_train: column probability per unit |δ|
  double v_write_v = 8.0;
  int train_limit = 0;            // 0: every training sample
  bool float_baseline = true;
  bool adaptive_threads = true;   // false: always OpenMP's default team (benchmarks of a fixed count)
  std::uint64_t seed = 1;
};

// A data set flattened to inputs in [0, 1] (MNIST pixels / 255, digits / 16).
struct mlp_data {
  int dim = 0;
  std::vector<float> x;  // count × dim
  std::vector<int> labels;
  std::vector<int> train, test;  // indices
};

// MNIST images / 255, or with pool = true their 2 × 2 means (28 × 28 → 14 × 14).
mlp_data mlp_data_from_mnist(const mnist_set& set, const mnist_split& split, bool pool);
// The 8 × 8 digits / 16.
mlp_data mlp_data_from_digits(const std::vector<digit>& data, const digit_split& split);

struct mlp_epoch {
  int epoch = 0;
  double train_accuracy = 0, test_accuracy = 0;  // train: on the fly, before each update
  double float_test_accuracy = 0;                // the float64 twin (NaN without it)
  double seconds = 0;                            // wall time of the crossbar network's epoch
  double threads_mean = 0;                       // mean threads per training sample (thread governor)
  long long write_steps = 0;                     // model steps spent writing (layer steps, tiles in parallel)
  // Model steps every device took while training: idle tiles and layers
  // relax while the busiest writes, so all devices take the same; × dt_m
  // is the training's device time (the cost report's write latency).
  long long train_model_steps = 0;
  long long cell_pulses = 0;                     // weights pulsed × pulses
  double energy_j = 0;
  // What each layer's tiles did (hardware_cost.hpp): while training, and
  // while reading the test set after it.
  std::vector<array_activity> train_activity, test_activity;
};

struct mlp_report {
  std::vector<int> sizes;  // inputs, hidden..., 10
  std::vector<mlp_epoch> epochs;
  int confusion[10][10] = {};  // [true][predicted], final test, crossbar network
  std::vector<double> g_before_s, g_after_s;
  double epsilon_s = 0;        // the ε used (S)
  double pulse_step_s = 0;     // mean ΔG of one device pulse from the table (S)
  long long weights = 0;       // all layers, bias rows included
  int accumulator_bits = 0;    // per weight (mixed precision; 0 otherwise)
  long long devices = 0;
  std::string rule;
  // The float64 twin started from weights that are all equal in some layer
  // (devices without variation): its units stay identical under SGD, so
  // its accuracy is no float baseline (the crossbar escapes through noise).
  bool float_twin_symmetric = false;
};

// Plans the programming of one tile's accumulator balances χ (units of ε;
// chi[r · stride + c], r < rows, c < cols) as V/2 writes, each a product
// set: rows × columns, one direction per column (write_outer). In round
// p = 1 … max_pulses every weight is pulsed at most once. A write starts
// from the (column, direction) with the most weights owed a pulse
// (d · χ ≥ 1) among `candidate_rows` (the rows whose input was non-zero:
// only they gained balance), takes those rows, then adds every other
// (column, direction) and then every other candidate row whose cells in
// the product all have d · χ ≥ threshold and that brings at least one
// owed weight. Each pulse subtracts its direction from χ, so the
// bookkeeping stays exact; threshold = 1 pulses owed weights only (the
// floor rule: sign(χ) · min(⌊|χ|⌋, max_pulses) pulses), 0.5 also rounds half-owed weights up
// when they share a write with owed ones (rounding to nearest), which lets
// one write cover the outer-product shape of an SGD step. `write(active,
// dir)` gets active[rows] in {0, 1} and dir[cols] in {−1, 0, 1} (+1: raise
// the weight). Returns the number of writes; a round with nothing owed ends
// the plan. Throws std::invalid_argument on threshold outside [0.5, 1] or
// max_pulses < 1.
int plan_transfer(float* chi, int stride, int rows, int cols, const std::vector<int>& candidate_rows, int max_pulses,
                  double threshold, const std::function<void(const std::vector<int>&, const std::vector<int>&)>& write);

// Throws std::invalid_argument on an empty set, a size ≤ 0, or parameters
// out of range; training_stopped when `stop` is raised (polled per sample).
mlp_report train_mlp(const mlp_data& data, const model::table& table, crossbar_params xp, const mlp_params& mp,
                     const std::function<void(int)>& progress = {}, training_stop stop = {});

}  // namespace ionrail::circuits
