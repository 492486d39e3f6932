#pragma once
// Online learning of a single-layer digit classifier in a crossbar
// (docs/circuits.md). Inputs: the 64 pixels / 16 plus a bias line held at 1;
// outputs: 10 differential columns. Rule: Manhattan (sign) updates of the
// softmax cross-entropy gradient, one write pulse per weight and sample:
// for every output j with |t_j − p_j| > error_threshold and every input line
// whose pixel is at least active_pixel, the weight moves one pulse in the
// direction of t_j − p_j. In a passive crossbar that is two model steps per
// sample: a potentiation phase (active rows at +V/2, the bit lines to raise
// at −V/2) and a depression phase (active rows at −V/2, the bit lines to
// lower at +V/2): G+ rises and G− falls for a weight to increase, and the
// reverse. With 1T1R cells it is one step (write_outer).
// Or, with pulse_train_length = BL > 0, stochastic pulse trains (Gokmen &
// Vlasov 2016): in each of BL slots a row is driven with probability x_i and
// a column with probability |t_j − p_j| (when above error_threshold), in the
// direction of t_j − p_j; a cell moves only where a driven row meets a
// driven column, so the expected update is BL · x_i · (t_j − p_j) pulses:
// the gradient itself, not its sign. Each slot is one write.
// Three learners see the same samples in the same order:
//   device   the compact-model crossbar: noise, fluctuation, variation,
//            half-select disturb, relaxation, DAC/ADC;
//   ideal    the same crossbar with ideal devices: every selected cell moves
//            by exactly the mean step of a real one, nothing else moves;
//   baseline float64 weights, the same rule with unit steps, no quantisation.
#include <array>
#include <functional>
#include <string>
#include <vector>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/training_stop.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::circuits {

struct learning_params {
  int epochs = 5;
  double v_write_v = 8.0;         // write amplitude of the first epoch: ±v_write/2 on the lines (V/2 scheme)
  double v_write_final_v = 0;     // of the last epoch, linear in between (0: v_write_v throughout); a
                                  // smaller pulse moves a nonlinear device by a finer step (annealing)
  double softmax_beta = 0.1;      // inverse temperature on scores in units of one pulse on one full input
  double error_threshold = 0.1;   // |t − p| above which an output is updated
  int active_pixel = 8;           // pixels >= this drive their word line during writes (Manhattan rule)
  int pulse_train_length = 0;     // 0: Manhattan rule; BL > 0: stochastic pulse trains of BL slots
  int rest_steps = 0;             // extra model steps at 0 V after each training sample
  double retention_s = 60;        // test again after this long at 0 V
  int test_count = 450;           // of the 1,797 digits
  int train_limit = 0;            // 0: every training digit; else the first n (fast tests)
  std::uint64_t seed = 1;         // run seed of the named streams (streams.hpp)
};

struct epoch_record {
  int epoch = 0;
  double train_accuracy = 0;  // on the fly, before each sample's update
  double test_accuracy = 0;
  double energy_j = 0;        // write pulses of the epoch, Σ G V² dt
  long long pulses = 0;       // cell-pulses at full write voltage
  // What the compact-model crossbar did in the epoch (the device learner
  // only; zero for the others): its training reads and writes, then the test
  // reads (hardware_cost.hpp).
  array_activity train_activity, test_activity;
};

struct learner_result {
  std::string name;
  std::vector<epoch_record> epochs;
  double test_after_retention = 0;
  std::array<std::array<int, 10>, 10> confusion{};  // [true][predicted], final test
  std::vector<double> weights;                     // 65 × 10, in pulse units
};

struct learning_report {
  learner_result device, ideal, baseline;
  std::vector<double> g_before_s, g_after_s;  // every device of the real crossbar
  double pulse_step_s = 0;                     // mean ΔG of one write pulse at rest (S)
  double seconds_per_epoch = 0;                // wall time of the real crossbar's epochs
};

// The work train_digits will do, in device updates (a model step or a read
// of one device; a read through resistive wires counted as ir_drop_read_cost,
// its typical Gauss-Seidel sweeps), from the parameters alone, so that a
// command can refuse a run that would not end before starting it. `train`
// and `test`: the digits of the split (train_limit applied here).
inline constexpr double ir_drop_read_cost = 20.0;
double train_digits_work(const learning_params& lp, const crossbar_params& xp, std::size_t train, std::size_t test);

// Throws std::invalid_argument (naming crossbar.retention_s and the table's
// dt_m_s) when the retention test is more model steps than an int counts;
// train_digits checks it too, callers check it before they write anything.
void check_retention_steps(const learning_params& lp, const crossbar_params& xp);

// One outer-product write of the V/2 scheme (the rule's update of one sample
// or one pulse-train slot): every row r with active[r] != 0 and every column
// c with dir[c] in {-1, +1} move one pulse in the direction dir[c], in two
// model steps: potentiation (active rows at +v_write/2, the bit lines to
// raise at −v_write/2), then depression (the signs reversed); G+ rises and G−
// falls for a weight to increase, and the reverse. Every other cell sees
// ±v_write/2 or 0 V for those two steps. 1T1R arrays (cell_selector::
// transistor) write in one model step: the selected rows' gates open with
// the word (source) lines at 0 V, and every bit line is driven on its own,
// to −v_write on the devices to raise and +v_write on those to lower, so both
// directions are written at once and no other cell sees a voltage.
// Returns the energy (J). std::invalid_argument if a size is wrong.
double write_outer(crossbar_array& xb, const std::vector<int>& active, const std::vector<int>& dir, double v_write);
// The model steps one write_outer takes on xb: 2 (passive, V/2 scheme) or 1 (1T1R).
int write_outer_steps(const crossbar_array& xb);
// The same from the cell alone (for work estimates made before an array exists).
int write_outer_steps(cell_selector selector);

// Runs the three learners. `progress(epoch, report)` is called after each
// epoch; `stop` is polled between digits (training_stopped).
learning_report train_digits(const std::vector<digit>& data, const digit_split& split, const model::table& table,
                             crossbar_params xp, const learning_params& lp,
                             const std::function<void(int, const learning_report&)>& progress = {},
                             training_stop stop = {});

}  // namespace ionrail::circuits
