#pragma once
// The TOML run configuration of `ionrail run`: a run file, the material file
// it includes and `--set key=value` overrides, resolved into the engine's
// parameter structs and validated. Every key is declared once, in the schema
// (ionrail/config/schema.hpp, config/src/*_keys.cpp); docs/config.md lists
// them with their units, defaults and ranges.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <ionrail/calibration/ensemble.hpp>
#include <ionrail/calibration/measurement.hpp>
#include <ionrail/calibration/pulse_table.hpp>
#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/circuits/snn.hpp>
#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/model_io/input_error.hpp>

namespace ionrail::config {

// A user's input was wrong: the CLI prints what() and exits with code 2.
// Messages are one line, "FILE[:LINE]: KEY = VALUE: what is wrong / valid
// range", where FILE is the run file, the material file or "--set".
using config_error = ionrail::input_error;

struct run_config {
  std::string path;                    // the file given to `ionrail run`
  std::string material_path;           // the material it included, as opened ("" if none)
  std::vector<std::string> sections;   // the tables FILE itself has ("protocol", "crossbar", ...), in file order
  std::string title;                   // [output] title, default: file stem
  kmc::device_params device;
  kmc::sim_params sim;
  std::string backend = "cpu";         // "cpu" | "cuda" | "auto"
  kmc::protocol_params protocol;       // waveform_csv resolved relative to the file that named it
  std::vector<double> temperatures_k;  // [protocol] temperatures_k; empty: just device.temperature_k
  bool plots = true;                   // [output] plots
  std::string series_key;              // [series] key: run once per value of this key ("" : one run)
  std::vector<double> series_values;   // [series] values
  ::ionrail::calibration::calibration_params calibration;      // [calibration] (ionrail calibrate)
  // [crossbar] (ionrail crossbar): the table and data set, resolved relative
  // to the file that named them; the array and the learning rule.
  struct crossbar_section {
    std::string table_dir;
    std::string data_file;
    bool initial_state_given = false;  // else the table's rest state
    circuits::crossbar_params array;
    circuits::learning_params learning;
    std::string hardware_file;  // the cost model's hardware file ("" : no cost report)
    // The multi-layer network (circuits/crossbar_mlp.hpp): used when `hidden`
    // is given or `data` names an MNIST IDX directory.
    std::vector<double> hidden;  // hidden layer sizes, checked to be integers
    circuits::mlp_params mlp;
    bool pool = false;           // MNIST 2 × 2 pooling (784 → 196 inputs)
    int test_images = 2000;      // MNIST held-out images

    // `data` names an MNIST IDX directory (else a digits file).
    bool mnist_data() const {
      std::error_code ec;
      return !data_file.empty() && std::filesystem::is_directory(data_file, ec);
    }
    // The learner `ionrail crossbar` trains: the multi-layer network, else
    // the single-layer digits learner. The loader refuses the keys of the
    // other one by the same rule.
    bool trains_network() const { return !hidden.empty() || mnist_data(); }
  } crossbar;
  // [snn] (ionrail snn): table and data as for [crossbar], the network.
  struct snn_section {
    std::string table_dir;
    std::string data_file;
    circuits::snn_params network;
    int window_steps = 6;  // the STDP window is measured for |Δt| up to this many model steps
  } snn;
  // [fit] (ionrail fit): the measured curves (paths resolved relative to the
  // file that named them) and the parameters fitted, with the optimiser's settings.
  ::ionrail::calibration::fit_params fit;
  // [measured_table] (ionrail calibrate from measured pulse trains): the
  // trains (paths resolved relative to the file) and the table's settings.
  ::ionrail::calibration::pulse_table_params measured_table;
};

// Loads FILE (and the material it includes), applies `--set key=value`
// overrides (dotted keys, TOML values: --set device.rails=500,
// --set sim.method=\"bkl\" or sim.method=bkl (bare words accepted as
// strings), --set species[1].fill=0.2), and validates everything.
// Throws config_error naming the file (and line where toml++ gives one), the
// full dotted key, the value and the valid range or expected type.
run_config load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});

// The bounds every TOML text is checked against before a parser sees it (a
// deep dotted key or nesting overflows a recursive parser's stack): for a
// command that parses another TOML file itself (the sweep's [sweep] section).
// Throws config_error "FILE:LINE: why".
void check_toml_bounds(const std::string& file, const std::string& text);

// Every resolved parameter as a JSON object (for summary.json), laid out like
// the run file's sections, via toml++'s json_formatter.
std::string resolved_parameters_json(const run_config& config);

// The material of a configuration as a material file (TOML) that
// load_run_config reads back to the same device: every key of the material
// sections ([device], [[species]], [[rail_class]], [field], [readout]) at its
// resolved value, site-energy landscapes as per-site ranges. A non-uniform
// initial profile is named as `initial_profile_csv`, the file the caller
// writes beside it (initial_profile_file, one weight per line).
std::string material_toml(const run_config& config, const std::string& initial_profile_file = "initial_profile.csv");

}  // namespace ionrail::config
