#pragma once
// The multi-layer crossbar network of an experiment file ([crossbar] with
// `hidden` or an MNIST `data` directory, docs/circuits.md "MNIST on tiled
// crossbars"), read into what circuits::train_mlp takes: the `ionrail
// crossbar` command and the benchmarks set it up the same way.
#include <string>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::runs {

// [crossbar]'s array as it runs: the table's step (dt_m_s), its rest state
// (s_eq) where initial_state is not given, the run's seed. Every crossbar
// path, and the parameters summary.json records, take it from here.
circuits::crossbar_params crossbar_array_of(const config::run_config& cfg);
// CFG with the values of ARRAY (crossbar_array_of's) it left to the table
// (initial_state), so that the recorded parameters rerun the same devices.
config::run_config crossbar_as_run(const config::run_config& cfg, const circuits::crossbar_params& array);

// VOLTS, what a device sees (WHAT says from which keys), within the voltage
// range of TABLE (the table at TABLE_DIR): beyond it the model holds the
// edge column's response, so a device would move as at the edge while the
// write energy grows as V². config::config_error "PATH: WHAT, beyond the
// table's voltage range, ±E V (TABLE_DIR): ..." otherwise.
void check_within_table_range(double volts, const model::table& table, const std::string& what, const std::string& path,
                              const std::string& table_dir);
// [crossbar]'s write voltages (v_write_v, v_write_final_v) by that check.
void check_write_voltages(const config::run_config& cfg, const model::table& table, const std::string& path);

struct network_setup {
  circuits::mlp_params mlp;
  circuits::crossbar_params array;  // every tile's DAC, ADC, wires, variation; dt and rest state from the table
  model::table table;
  circuits::mlp_data data;
  std::string data_text;  // what `data` is, for reports
};

// Throws config::config_error naming `path` and the key for a missing table
// or data set, a test split as large as the data, or a pulse-train rule
// without slots; the loaders' errors name their files.
network_setup load_network_setup(const config::run_config& cfg, const std::string& path);

// circuits::split_digits with the file's key named: a test_count of KEY
// (crossbar.test_count, snn.test_count) that is not below the digits' count
// of DATA_FILE is ionrail::input_error "PATH: KEY = N: expected fewer ...".
circuits::digit_split split_digits_checked(const std::string& path, const char* key,
                                           const std::vector<circuits::digit>& digits, int test_count,
                                           std::uint64_t seed, const std::string& data_file);

}  // namespace ionrail::runs
