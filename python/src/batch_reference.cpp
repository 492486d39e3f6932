// The C++ side of the Python bit-identity test (python/tests/test_devices.py):
// steps a model::device_batch with the batch API alone and prints every
// device's raw state, fluctuation and rng after each step, and the raw read
// current at the end. No Python involved.
//   ionrail_py_batch_reference TABLE_DIR N SEED GAIN_SIGMA OFFSET_SIGMA_S INITIAL NOISE STEPS V...
// V... : voltages (V), one per step (the last one repeats), the same for every device.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <ionrail/model/batch.hpp>
#include <ionrail/model_io/table_files.hpp>

int main(int argc, char** argv) {
  using namespace ionrail;
  if (argc < 10) {
    std::fprintf(stderr, "usage: %s TABLE_DIR N SEED GAIN_SIGMA OFFSET_SIGMA_S INITIAL NOISE STEPS V...\n", argv[0]);
    return 2;
  }
  const model::table t = model_io::load_table(argv[1]);
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  const std::uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const auto var = model::variation_params::from_si(std::strtod(argv[4], nullptr), std::strtod(argv[5], nullptr));
  const auto init = model::q_state::from_double(std::strtod(argv[6], nullptr));
  const bool noise = std::atoi(argv[7]) != 0;
  const int steps = std::atoi(argv[8]);
  std::vector<double> volts;
  for (int i = 9; i < argc; ++i) volts.push_back(std::strtod(argv[i], nullptr));
  model::device_batch b = model::make_batch(n, seed, var, init, noise);
  std::vector<std::int16_t> v(n);
  for (int k = 0; k < steps; ++k) {
    const double vk = volts[static_cast<std::size_t>(k) < volts.size() ? k : volts.size() - 1];
    for (auto& x : v) x = model::q_volt::from_double(vk).raw();
    model::step_batch(t.view(), b, v.data());
    for (std::size_t i = 0; i < n; ++i) std::printf("%d %d %u%c", b.state[i], b.fluct[i], b.rng[i], i + 1 < n ? ' ' : '\n');
  }
  std::vector<std::int64_t> cur(n);
  model::read_current_batch(t.view(), b, v.data(), cur.data());
  for (std::size_t i = 0; i < n; ++i) std::printf("%lld%c", static_cast<long long>(cur[i]), i + 1 < n ? ' ' : '\n');
  return 0;
}
