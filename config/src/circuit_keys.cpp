// [crossbar] and [snn]: the circuits `ionrail crossbar` and `ionrail snn`
// build from a compact-model table. The loader checks these ranges itself.
#include <cmath>
#include <cstddef>
#include <string>

#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

// [crossbar] serves two learners: the single-layer digits learner and the
// multi-layer network (`hidden` given, or `data` an MNIST IDX directory).
// A key the one trained here does not read would be ignored without a word.
constexpr const char* network_only[] = {"tile_rows",   "tile_cols",          "rule",           "learning_rate",
                                        "epsilon_s",   "max_pulses",         "transfer_threshold",
                                        "learning_rate_decay", "hidden_gain", "output_gain",   "adc_span",
                                        "active_input", "pulse_train_gain",  "float_baseline"};
constexpr const char* digits_learner_only[] = {"v_write_final_v", "softmax_beta", "active_pixel", "rest_steps",
                                               "retention_s"};
constexpr const char* mnist_only[] = {"pool", "test_images"};

void refuse_unread_keys(const loader& l, const toml::table& t, const run_config& c) {
  const auto& x = c.crossbar;
  const bool mnist = x.mnist_data();
  const bool network = x.trains_network();
  const std::string learner = network ? "this file trains the multi-layer network (`hidden` given or `data` an MNIST "
                                        "directory)"
                                      : "this file trains the single-layer digits learner (no `hidden`, `data` a "
                                        "digits file)";
  const auto refuse = [&](const char* key, const std::string& reader) {
    const std::string path = std::string("crossbar.") + key;
    l.fail(path, *t.get(key), "read by " + reader + " only, and " + learner + ": it would be ignored; remove it");
  };
  if (network) {
    for (const char* k : digits_learner_only)
      if (t.contains(k)) refuse(k, "the single-layer digits learner");
  } else {
    for (const char* k : network_only)
      if (t.contains(k)) refuse(k, "the multi-layer network");
  }
  for (const char* k : mnist_only)
    if (!mnist && t.contains(k))
      l.fail(std::string("crossbar.") + k, *t.get(k),
             "read with an MNIST `data` directory only, and `data` is a digits file: it would be ignored; remove it");
  if (mnist && t.contains("test_count"))
    l.fail("crossbar.test_count", *t.get("test_count"),
           "read with a digits `data` file only (MNIST's held-out images: crossbar.test_images): it would be ignored; "
           "remove it");
  if (network && x.mlp.rule != circuits::mlp_rule::pulse_train && t.contains("pulse_train_length"))
    l.fail("crossbar.pulse_train_length", *t.get("pulse_train_length"),
           "the multi-layer network reads it with rule = \"pulse_train\" only: it would be ignored; remove it");
}

// Without the key the array starts from the table's rest state. Hidden
// layer sizes are counts: a fraction names the key and the entry.
void note_initial_state(const loader& l, const toml::table& t, const std::string&, run_config& c, std::size_t) {
  c.crossbar.initial_state_given = t.contains("initial_state");
  for (std::size_t k = 0; k < c.crossbar.hidden.size(); ++k)
    if (c.crossbar.hidden[k] != std::floor(c.crossbar.hidden[k]))
      l.fail("crossbar.hidden", *t.get("hidden"),
             "entry " + std::to_string(k + 1) + " is not a whole number of neurons (expected integers in [1, 4096])");
  refuse_unread_keys(l, t, c);
}

}  // namespace

section_def crossbar_section() {
  auto s = plain_section({"crossbar", "used by `ionrail crossbar`"});
  s.read_more(note_initial_state).in_json([](const run_config& c) { return !c.crossbar.table_dir.empty(); });
  s.path("table", [](auto& c) -> auto& { return c.crossbar.table_dir; }, path_kind::directory)
      .default_doc("none (required)")
      .doc("directory holding a compact-model table (`table.json`, `table.csv`, ...), e.g. `\"../tables/polymer_thin\"`");
  s.path("data", [](auto& c) -> auto& { return c.crossbar.data_file; }, path_kind::file_or_directory)
      .default_doc("none (required)")
      .doc("the digits file, e.g. `\"../data/digits.csv.gz\"` (1,797 8×8 digits), or an MNIST IDX directory, e.g. "
           "`\"../data/mnist10k\"` (10,000 28×28 digits; trains the multi-layer network)");
  s.key("epochs", [](auto& c) -> auto& { return c.crossbar.learning.epochs; })
      .range(closed(1, 1000)).doc("passes over the training digits");
  s.key("v_write_v", [](auto& c) -> auto& { return c.crossbar.learning.v_write_v; })
      .unit("V").range(closed(1e-3, 15.9)).interval("(0, 15.9]").note("(the model's voltage format holds ±16 V)")
      .doc("write amplitude of the first epoch: ±v_write/2 on the lines (V/2 scheme)");
  s.key("v_write_final_v", [](auto& c) -> auto& { return c.crossbar.learning.v_write_final_v; })
      .unit("V").range(closed(0, 15.9)).note("(0: v_write_v throughout)")
      .doc("write amplitude of the last epoch, linear in between (0: `v_write_v` throughout); a smaller pulse is a "
           "finer step");
  s.key("softmax_beta", [](auto& c) -> auto& { return c.crossbar.learning.softmax_beta; })
      .range(closed(1e-9, 1e6)).interval("(0, 1e6]")
      .doc("inverse temperature of the softmax, on scores in units of one pulse on one full input");
  s.key("error_threshold", [](auto& c) -> auto& { return c.crossbar.learning.error_threshold; })
      .range(closed(0, 0.999)).interval("[0, 1)").doc("an output is updated only where |t − p| exceeds this");
  s.key("active_pixel", [](auto& c) -> auto& { return c.crossbar.learning.active_pixel; })
      .range(closed(0, 16)).note("(pixel values)")
      .doc("pixels (of 16) at least this drive their word line during writes (Manhattan rule)");
  s.key("pulse_train_length", [](auto& c) -> auto& { return c.crossbar.learning.pulse_train_length; })
      .unit("slots").range(closed(0, 1000)).note("(0: Manhattan rule; else slots of a stochastic pulse train)")
      .doc("0: Manhattan (sign) rule, one pulse per weight and sample; BL > 0: stochastic pulse trains of BL slots "
           "(expected update ∝ the gradient)");
  s.key("rest_steps", [](auto& c) -> auto& { return c.crossbar.learning.rest_steps; })
      .unit("steps").range(closed(0, 1e6)).doc("extra model steps at 0 V after each training sample");
  s.key("retention_s", [](auto& c) -> auto& { return c.crossbar.learning.retention_s; })
      .unit("s").range(closed(0, 1e7)).doc("the test is repeated after this long at 0 V");
  s.key("test_count", [](auto& c) -> auto& { return c.crossbar.learning.test_count; })
      .unit("digits").range(closed(10, 1000)).note("(of 1797 digits)")
      .doc("held-out test digits (of 1,797; stratified split); the rest train");
  s.key("train_limit", [](auto& c) -> auto& { return c.crossbar.learning.train_limit; })
      .unit("digits").range(closed(0, 1e6)).note("(0: all)")
      .doc("train on the first n training digits only (0: all)");
  s.key("dac_bits", [](auto& c) -> auto& { return c.crossbar.array.dac_bits; })
      .unit("bits").range(closed(1, 16)).doc("input (DAC) resolution");
  s.key("adc_bits", [](auto& c) -> auto& { return c.crossbar.array.adc_bits; })
      .unit("bits").range(closed(2, 24)).doc("output (ADC) resolution, signed");
  s.key("v_read_v", [](auto& c) -> auto& { return c.crossbar.array.v_read_v; })
      .unit("V").range(closed(1e-6, 15.9)).interval("(0, 15.9]").doc("read voltage of a full-scale input");
  s.key("adc_full_scale_a", [](auto& c) -> auto& { return c.crossbar.array.adc_full_scale_a; })
      .unit("A").range(closed(0, 1)).note("(0: automatic)")
      .doc("±full scale of the ADC; 0: automatic, rows · v_read · G_span / 4");
  s.key("wire_ohm", [](auto& c) -> auto& { return c.crossbar.array.wire_ohm; })
      .unit("ohm").range(closed(0, 1e6)).note("(0: ideal wires)")
      .doc("wire resistance per cell pitch of word and bit lines (IR drop); 0: ideal wires");
  s.choice("selector", [](auto& c) -> auto& { return c.crossbar.array.selector; },
           choices<circuits::cell_selector>{{"passive", circuits::cell_selector::passive},
                                            {"1t1r", circuits::cell_selector::transistor}})
      .doc("the cell: a bare cross-point written with the V/2 scheme (`passive`: half-selected cells see ±V/2 and "
           "drift, the disturb; two model steps per write) or one access transistor per cell (`1t1r`: a write opens "
           "the selected rows' gates and drives each bit line on its own, so only the selected cells see a voltage, "
           "both directions in one model step)");
  s.key("gain_sigma", [](auto& c) -> auto& { return c.crossbar.array.gain_sigma; })
      .range(closed(0, 0.5)).doc("device-to-device spread of the drift gain (relative)");
  s.key("offset_sigma_s", [](auto& c) -> auto& { return c.crossbar.array.offset_sigma_s; })
      .unit("S").range(closed(0, 1e-3)).doc("device-to-device spread of the conductance offset");
  s.key("noise", [](auto& c) -> auto& { return c.crossbar.array.noise; })
      .doc("cycle-to-cycle noise and read fluctuation of the devices (from the table)");
  s.key("initial_state", [](auto& c) -> auto& { return c.crossbar.array.initial_state; })
      .range(closed(0, 1)).default_doc("the table's rest state (`s_eq` in `table.json`)")
      .doc("slow state every device starts from");
  // The hardware cost model (docs/circuits.md, "Hardware cost").
  s.path("hardware", [](auto& c) -> auto& { return c.crossbar.hardware_file; }, path_kind::file)
      .default_doc("none (no cost report)")
      .doc("the hardware file of the cost model, e.g. `\"../materials/hardware_45nm.toml\"`: energy, latency and area "
           "per inference, update and epoch");
  // The multi-layer network of tiled layers (circuits/crossbar_mlp.hpp).
  s.key("hidden", [](auto& c) -> auto& { return c.crossbar.hidden; })
      .unit("neurons").range(closed(1, 4096)).default_doc("none (single-layer digits learner; with an MNIST `data` "
                                                           "directory: no hidden layer)")
      .doc("hidden layer sizes of the multi-layer network, e.g. `[100]`; given, or with an MNIST `data` directory, "
           "`ionrail crossbar` trains the network of tiled layers");
  s.key("tile_rows", [](auto& c) -> auto& { return c.crossbar.mlp.tile_rows; })
      .unit("rows").range(closed(1, 4096)).doc("rows (input lines) of one tile of the network's layers");
  s.key("tile_cols", [](auto& c) -> auto& { return c.crossbar.mlp.tile_cols; })
      .unit("weights").range(closed(1, 4096)).doc("weight columns (differential pairs) of one tile");
  s.choice("rule", [](auto& c) -> auto& { return c.crossbar.mlp.rule; },
           choices<circuits::mlp_rule>{{"manhattan", circuits::mlp_rule::manhattan},
                                       {"pulse_train", circuits::mlp_rule::pulse_train},
                                       {"mixed_precision", circuits::mlp_rule::mixed_precision}})
      .doc("the network's update rule: sign pulses (`manhattan`), stochastic pulse trains (`pulse_train`) or a "
           "float32 accumulator per weight with threshold transfer (`mixed_precision`, Nandakumar et al. 2020)");
  s.key("learning_rate", [](auto& c) -> auto& { return c.crossbar.mlp.learning_rate; })
      .range(closed(1e-9, 1e6)).interval("(0, 1e6]")
      .doc("η of the network (mixed precision and the float64 twin), on the effective weights gain · w (the "
           "step in ε is η / gain² per unit gradient)");
  s.key("epsilon_s", [](auto& c) -> auto& { return c.crossbar.mlp.epsilon_s; })
      .unit("S").range(closed(0, 1e-3)).note("(0: from the table)")
      .doc("ε, the weight change of one write pulse on a pair (the transfer threshold and weight unit); 0: twice "
           "the table's mean device step at rest");
  s.key("max_pulses", [](auto& c) -> auto& { return c.crossbar.mlp.max_pulses; })
      .unit("pulses").range(closed(1, 127)).doc("most pulses one weight gets per sample (mixed precision)");
  s.key("transfer_threshold", [](auto& c) -> auto& { return c.crossbar.mlp.transfer_threshold; })
      .unit("ε").range(closed(0.5, 1))
      .doc("mixed precision: the |χ| a weight needs to join a write that carries weights owed a whole pulse (1: "
           "owed weights only; 0.5: round to nearest, so one write covers more of the update's outer product)");
  s.key("learning_rate_decay", [](auto& c) -> auto& { return c.crossbar.mlp.learning_rate_decay; })
      .range(closed(1e-6, 1)).interval("(0, 1]")
      .doc("the network's η falls by this factor per epoch (η of epoch e: learning_rate · decay^(e − 1); both the "
           "crossbar network and its float64 twin)");
  s.key("hidden_gain", [](auto& c) -> auto& { return c.crossbar.mlp.hidden_gain; })
      .range(closed(1e-9, 1e3)).interval("(0, 1e3]")
      .doc("digital scale of a hidden layer's sums (in ε) before its sigmoid");
  s.key("output_gain", [](auto& c) -> auto& { return c.crossbar.mlp.output_gain; })
      .range(closed(1e-9, 1e3)).interval("(0, 1e3]").doc("digital scale of the output layer's sums before the softmax");
  s.key("adc_span", [](auto& c) -> auto& { return c.crossbar.mlp.adc_span; })
      .range(closed(1e-3, 1e3)).interval("(0, 1e3]")
      .doc("the network's ADC full scale when `adc_full_scale_a` = 0: ±adc_span on a layer's gain · sum, i.e. "
           "adc_span / gain · v_read · ε per tile");
  s.key("active_input", [](auto& c) -> auto& { return c.crossbar.mlp.active_input; })
      .range(closed(0, 1)).doc("inputs at least this drive their row in a Manhattan write of the network");
  s.key("pulse_train_gain", [](auto& c) -> auto& { return c.crossbar.mlp.pulse_train_gain; })
      .range(closed(1e-6, 1e6)).interval("(0, 1e6]")
      .doc("pulse-train rule of the network: a column fires with probability min(1, gain · |δ|)");
  s.key("pool", [](auto& c) -> auto& { return c.crossbar.pool; })
      .doc("MNIST inputs as 2 × 2 means (196 instead of 784)");
  s.key("test_images", [](auto& c) -> auto& { return c.crossbar.test_images; })
      .unit("images").range(closed(10, 9990)).note("(of 10,000)")
      .doc("held-out MNIST test images (split_mnist: a seeded shuffle); the rest train");
  s.key("float_baseline", [](auto& c) -> auto& { return c.crossbar.mlp.float_baseline; })
      .doc("train the same network in float64 alongside (same initial weights and sample order, SGD)");
  return s.done();
}

section_def snn_section() {
  auto s = plain_section({"snn", "used by `ionrail snn`"});
  s.in_json([](const run_config& c) { return !c.snn.table_dir.empty(); });
  s.path("table", [](auto& c) -> auto& { return c.snn.table_dir; }, path_kind::directory)
      .default_doc("none (required)").doc("directory holding a compact-model table, as for `[crossbar]`");
  s.path("data", [](auto& c) -> auto& { return c.snn.data_file; }, path_kind::file_or_directory)
      .default_doc("none (required)")
      .doc("the digits file, e.g. `\"../data/digits.csv.gz\"` (8×8, 64 inputs), or an MNIST IDX directory, e.g. "
           "`\"../data/mnist10k\"` (28×28, 784 inputs; 8,000 training / 2,000 test images)");
  s.key("neurons", [](auto& c) -> auto& { return c.snn.network.neurons; })
      .range(closed(1, 10000)).doc("LIF neurons (output lines)");
  s.key("epochs", [](auto& c) -> auto& { return c.snn.network.epochs; })
      .range(closed(1, 100)).doc("unsupervised passes over the training digits");
  s.key("present_steps", [](auto& c) -> auto& { return c.snn.network.present_steps; })
      .unit("steps").range(closed(1, 10000)).doc("model steps a digit is shown");
  s.key("rest_steps", [](auto& c) -> auto& { return c.snn.network.rest_steps; })
      .unit("steps").range(closed(0, 10000)).doc("steps between digits: no input, neurons reset");
  s.key("max_rate", [](auto& c) -> auto& { return c.snn.network.max_rate; })
      .range(closed(1e-6, 1)).interval("(0, 1]").note("(spike probability per step)")
      .doc("spike probability per step of a full (16/16) pixel: rate = max_rate · p/16; used only when "
           "`input_spikes` = 0");
  s.key("input_spikes", [](auto& c) -> auto& { return c.snn.network.input_spikes; })
      .unit("spikes/step").range(closed(0, 64)).note("(0: off)")
      .doc("> 0: each digit sends this many input spikes per step on average whatever its ink (rate_i = "
           "input_spikes · p_i / Σp, at most 1); 0: rate = max_rate · p/16");
  s.key("anneal", [](auto& c) -> auto& { return c.snn.network.anneal; })
      .range(closed(1e-6, 1)).interval("(0, 1]").note("(programming levels × anneal per epoch)")
      .doc("programming levels (row and column drivers) × anneal^(epoch − 1)");
  s.key("v_read_v", [](auto& c) -> auto& { return c.snn.network.v_read_v; })
      .unit("V").range(closed(1e-6, 15.9)).interval("(0, 15.9]")
      .doc("read voltage of a spiking input line; a neuron's input is Σ G · v_read over the inputs that spiked");
  s.key("leak", [](auto& c) -> auto& { return c.snn.network.leak; })
      .range(closed(0, 1)).note("(retention per step)").doc("membrane retention per step");
  s.key("threshold", [](auto& c) -> auto& { return c.snn.network.threshold; })
      .unit("membrane units").range(closed(1e-6, 100)).interval("(0, 100]")
      .doc("firing threshold (1 µA of input for one step = 1 membrane unit)");
  s.key("theta_plus", [](auto& c) -> auto& { return c.snn.network.theta_plus; })
      .unit("membrane units").range(closed(0, 100)).doc("adaptive threshold added per spike");
  s.key("theta_decay", [](auto& c) -> auto& { return c.snn.network.theta_decay; })
      .range(closed(0, 1)).doc("adaptive threshold's retention per step");
  s.key("distance_bias", [](auto& c) -> auto& { return c.snn.network.distance_bias; })
      .range(closed(0, 10)).note("(0: off)")
      .doc("winner-take-all by distance: while an image is shown each neuron's input loses distance_bias · v_read · "
           "n · ΣG²/(2 · mean column ΣG), n the image's input spikes per step, its column's conductances read "
           "before the image (1: the nearest prototype wins, as in k-means)");
  s.key("recruit_after", [](auto& c) -> auto& { return c.snn.network.recruit_after; })
      .unit("images").range(closed(0, 1000000)).note("(0: off)")
      .doc("recruiting silent neurons: a neuron that has not fired for this many training images fires in place "
           "of the winner on the next one (the one silent longest), so that its column learns that image, as "
           "k-means re-seeds an empty cluster");
  s.key("refractory_steps", [](auto& c) -> auto& { return c.snn.network.refractory_steps; })
      .unit("steps").range(closed(0, 65535)).doc("steps a neuron is held at reset after a spike");
  // Pre and post levels add up across a device: each at most 7.9 V keeps |V| within the model's ±16 V.
  s.key("pre_v", [](auto& c) -> auto& { return c.snn.network.waveform.pre_v; })
      .unit("V").range(closed(0, 7.9)).note("(pre and post levels add up across a device: ±16 V at most)")
      .doc("row level +pre_v during the eligibility window after an input spike");
  s.key("pre_steps", [](auto& c) -> auto& { return c.snn.network.waveform.pre_steps; })
      .unit("steps").range(closed(1, 100)).doc("length of the eligibility window, from the input spike on");
  s.key("post_v1", [](auto& c) -> auto& { return c.snn.network.waveform.post_v1; })
      .unit("V").range(closed(0, 7.9)).note("(pre and post levels add up across a device: ±16 V at most)")
      .doc("column level −post_v1 at the neuron's spike");
  s.key("post_v2", [](auto& c) -> auto& { return c.snn.network.waveform.post_v2; })
      .unit("V").range(closed(0, 7.9)).note("(pre and post levels add up across a device: ±16 V at most)")
      .doc("column level +post_v2 one step later (depresses synapses whose input was silent)");
  s.key("initial_state", [](auto& c) -> auto& { return c.snn.network.initial_state; })
      .range(closed(0, 1)).doc("device slow state at the start");
  s.key("init_spread", [](auto& c) -> auto& { return c.snn.network.init_spread; })
      .range(closed(0, 0.5)).doc("± uniform spread of the initial states (breaks symmetry)");
  s.key("train_limit", [](auto& c) -> auto& { return c.snn.network.train_limit; })
      .unit("digits").range(closed(0, 1e6)).note("(0: all)").doc("train on the first n training digits only (0: all)");
  s.key("label_limit", [](auto& c) -> auto& { return c.snn.network.label_limit; })
      .unit("digits").range(closed(0, 1e6)).note("(0: all)")
      .doc("training digits used to label the neurons (0: all)");
  s.key("test_count", [](auto& c) -> auto& { return c.snn.network.test_count; })
      .unit("digits").range(closed(10, 2000))
      .doc("held-out test digits (8×8: of 1,797, stratified split; MNIST: the first n of the 2,000-image test split)");
  s.key("noise", [](auto& c) -> auto& { return c.snn.network.noise; })
      .doc("cycle-to-cycle noise and fluctuation of the devices");
  s.key("window_steps", [](auto& c) -> auto& { return c.snn.window_steps; })
      .unit("steps").range(closed(1, 100))
      .doc("the STDP window (`window.csv`) is measured for |Δt| up to this many model steps");
  return s.done();
}

}  // namespace ionrail::config::detail
