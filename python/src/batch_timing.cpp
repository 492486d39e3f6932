// The C++ half of python/examples/speed.py: times model::step_batch and
// step_batch_volts and read_current_batch on N devices (the same table, seed
// and voltages as the Python half) and prints one line per call kind:
//   step N REPEATS SECONDS_PER_CALL
//   step_volts N REPEATS SECONDS_PER_CALL
//   read N REPEATS SECONDS_PER_CALL
//   ionrail_py_batch_timing TABLE_DIR N REPEATS
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <ionrail/model/batch.hpp>
#include <ionrail/model_io/table_files.hpp>

int main(int argc, char** argv) {
  using namespace ionrail;
  using clock = std::chrono::steady_clock;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s TABLE_DIR N REPEATS\n", argv[0]);
    return 2;
  }
  const model::table t = model_io::load_table(argv[1]);
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  const int repeats = std::atoi(argv[3]);
  model::device_batch b = model::make_batch(n, 1, model::variation_params::from_si(0.05, 0.0), model::q_state::from_double(0.25));
  std::vector<std::int16_t> v(n);
  std::vector<double> volts(n);
  for (std::size_t i = 0; i < n; ++i) {
    volts[i] = -8.0 + 16.0 * static_cast<double>(i) / n;
    v[i] = model::q_volt::from_double(volts[i]).raw();
  }
  std::vector<std::int64_t> cur(n);
  for (int k = 0; k < 3; ++k) model::step_batch(t.view(), b, v.data());  // warm up
  auto t0 = clock::now();
  for (int k = 0; k < repeats; ++k) model::step_batch(t.view(), b, v.data());
  const double step_s = std::chrono::duration<double>(clock::now() - t0).count() / repeats;
  t0 = clock::now();
  for (int k = 0; k < repeats; ++k)
    if (!model::step_batch_volts(t.view(), b, volts.data())) return 1;
  const double step_volts_s = std::chrono::duration<double>(clock::now() - t0).count() / repeats;
  t0 = clock::now();
  for (int k = 0; k < repeats; ++k) model::read_current_batch(t.view(), b, v.data(), cur.data());
  const double read_s = std::chrono::duration<double>(clock::now() - t0).count() / repeats;
  std::printf("step %zu %d %.9g\nstep_volts %zu %d %.9g\nread %zu %d %.9g\n", n, repeats, step_s, n, repeats,
              step_volts_s, n, repeats, read_s);
  return cur[0] == 12345 ? 1 : 0;  // keeps the reads
}
