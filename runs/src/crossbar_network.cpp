#include <ionrail/runs/crossbar_network.hpp>

#include <filesystem>

#include <fmt/format.h>

#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace ionrail::runs {

circuits::crossbar_params crossbar_array_of(const config::run_config& cfg) {
  const auto& x = cfg.crossbar;
  circuits::crossbar_params array = x.array;
  array.dt_m_s = model_io::table_metadata(x.table_dir, "dt_m_s");
  if (!x.initial_state_given) array.initial_state = model_io::table_metadata(x.table_dir, "s_eq");
  array.seed = cfg.sim.seed;
  return array;
}

void check_within_table_range(double volts, const model::table& table, const std::string& what, const std::string& path,
                              const std::string& table_dir) {
  const double edge = table.grid.v_at(table.grid.n_v - 1);
  if (volts > edge)
    throw config::config_error(fmt::format(
        "{}: {}, beyond the table's voltage range, ±{} V ({}): the compact model holds the edge column's response "
        "there, so a device would move as at {} V while the write energy grows as V²; at most {} V",
        path, what, edge, table_dir, edge, edge));
}

void check_write_voltages(const config::run_config& cfg, const model::table& table, const std::string& path) {
  const auto& l = cfg.crossbar.learning;
  for (const auto& [key, v] : {std::pair<const char*, double>{"crossbar.v_write_v", l.v_write_v},
                               {"crossbar.v_write_final_v", l.v_write_final_v}})
    check_within_table_range(v, table, fmt::format("{} = {} V", key, v), path, cfg.crossbar.table_dir);
}

config::run_config crossbar_as_run(const config::run_config& cfg, const circuits::crossbar_params& array) {
  config::run_config recorded = cfg;
  recorded.crossbar.array.initial_state = array.initial_state;
  return recorded;
}

network_setup load_network_setup(const config::run_config& cfg, const std::string& path) {
  using config::config_error;
  const auto& x = cfg.crossbar;
  if (x.table_dir.empty()) throw config_error(path + ": [crossbar] table: a table directory is required");
  if (x.data_file.empty()) throw config_error(path + ": [crossbar] data: the data set is required");
  network_setup s{x.mlp, x.array, model_io::load_table_consistent(x.table_dir), {}, {}};
  check_write_voltages(cfg, s.table, path);
  circuits::mlp_params& mp = s.mlp;
  mp.hidden.clear();
  for (double h : x.hidden) mp.hidden.push_back(static_cast<int>(h));
  mp.epochs = x.learning.epochs;
  mp.train_limit = x.learning.train_limit;
  mp.v_write_v = x.learning.v_write_v;
  mp.error_threshold = x.learning.error_threshold;
  mp.seed = cfg.sim.seed;
  if (mp.rule == circuits::mlp_rule::pulse_train) {
    if (x.learning.pulse_train_length < 1)
      throw config_error(path + ": crossbar.pulse_train_length = 0: rule = \"pulse_train\" needs slots, expected an "
                                "integer in [1, 1000]");
    mp.pulse_train_length = x.learning.pulse_train_length;
  }
  s.array = crossbar_array_of(cfg);
  if (x.mnist_data()) {
    const auto dir = std::filesystem::path(x.data_file);
    const auto set = circuits::load_mnist((dir / "images-idx3-ubyte.gz").string(), (dir / "labels-idx1-ubyte.gz").string());
    if (x.test_images >= set.count)
      throw config_error(fmt::format("{}: crossbar.test_images = {}: expected fewer than the {} images of {}", path,
                                     x.test_images, set.count, x.data_file));
    s.data = circuits::mlp_data_from_mnist(set, circuits::split_mnist(set.count, x.test_images, cfg.sim.seed), x.pool);
    s.data_text = fmt::format("MNIST IDX `{}`{}", x.data_file, x.pool ? ", 2 × 2 pooled (14 × 14)" : " (28 × 28)");
  } else {
    const auto digits = circuits::load_digits(x.data_file);
    s.data = circuits::mlp_data_from_digits(
        digits, split_digits_checked(path, "crossbar.test_count", digits, x.learning.test_count, cfg.sim.seed, x.data_file));
    s.data_text = fmt::format("digits `{}` (8 × 8)", x.data_file);
  }
  return s;
}

circuits::digit_split split_digits_checked(const std::string& path, const char* key,
                                           const std::vector<circuits::digit>& digits, int test_count,
                                           std::uint64_t seed, const std::string& data_file) {
  if (test_count >= static_cast<int>(digits.size()))
    throw input_error(fmt::format("{}: {} = {}: expected fewer than the {} digits of {}", path, key, test_count,
                                  digits.size(), data_file));
  return circuits::split_digits(digits, test_count, seed);
}

}  // namespace ionrail::runs
