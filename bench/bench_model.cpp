// Speed of the fixed-point compact model. Items are device-steps (or reads).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include <ionrail/model/model.hpp>

namespace {

using namespace ionrail::model;

// A smooth synthetic table on the default 65 × 65 grid (tests/test_model.cpp).
const table& bench_table() {
  static const table t = make_table(
      default_grid,
      [](double s, double v) {
        const double up = 1e-3 + 2e-3 * (v > 0 ? v : 0.0), dn = 1e-3 + 2e-3 * (v < 0 ? -v : 0.0);
        return up * (1.0 - s) - dn * s;
      },
      [](double, double) { return 2e-3; }, [](double s) { return 1.0 + 999.0 * s; });
  return t;
}

// Voltages over the whole int16 range (every device at its own voltage).
std::vector<std::int16_t> random_volts(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(-32768, 32767);
  std::vector<std::int16_t> v(n);
  for (auto& x : v) x = static_cast<std::int16_t>(d(gen));
  return v;
}

// One device, 1024 dependent steps per iteration (latency bound: each step
// needs the previous state).
void BM_model_step(benchmark::State& state) {
  const table_view t = bench_table().view();
  const bool noise = state.range(0) != 0;
  device d = make_device(1, variation_params::from_si(0.02, 1e-6), q_state::from_double(0.3), noise);
  const std::vector<std::int16_t> v = random_volts(1024, 2);
  for (auto _ : state) {
    for (const std::int16_t x : v) step(t, d, q_volt::from_raw(x));
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(v.size()));
}
BENCHMARK(BM_model_step)->ArgName("noise")->Arg(0)->Arg(1);

// 10^6 devices (structure of arrays), one step each per iteration.
void BM_model_step_batch(benchmark::State& state) {
  const table_view t = bench_table().view();
  const auto n = static_cast<std::size_t>(state.range(0));
  device_batch b = make_batch(n, 3, variation_params::from_si(0.02, 1e-6), q_state::from_double(0.3), state.range(1) != 0);
  const std::vector<std::int16_t> v = random_volts(n, 4);
  for (auto _ : state) {
    step_batch(t, b, v.data());
    benchmark::DoNotOptimize(b.state.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_model_step_batch)
    ->ArgNames({"devices", "noise"})
    ->Args({1000000, 0})
    ->Args({1000000, 1})
    ->Unit(benchmark::kMillisecond);

// The same step with the voltages in volts (double), converted in the call:
// what a caller holding volts, e.g. ionrail.DeviceBatch.step, pays.
void BM_model_step_batch_volts(benchmark::State& state) {
  const table_view t = bench_table().view();
  const auto n = static_cast<std::size_t>(state.range(0));
  device_batch b = make_batch(n, 3, variation_params::from_si(0.02, 1e-6), q_state::from_double(0.3), state.range(1) != 0);
  std::vector<double> v;
  for (const std::int16_t x : random_volts(n, 4)) v.push_back(q_volt::from_raw(x).to_double());
  for (auto _ : state) {
    if (!step_batch_volts(t, b, v.data())) state.SkipWithError("non-finite voltage");
    benchmark::DoNotOptimize(b.state.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_model_step_batch_volts)
    ->ArgNames({"devices", "noise"})
    ->Args({1000000, 1})
    ->Unit(benchmark::kMillisecond);

// Read currents of 10^6 devices.
void BM_model_read_batch(benchmark::State& state) {
  const table_view t = bench_table().view();
  const auto n = static_cast<std::size_t>(state.range(0));
  const device_batch b = make_batch(n, 5, variation_params::from_si(0.02, 1e-6), q_state::from_double(0.3), false);
  const std::vector<std::int16_t> v = random_volts(n, 6);
  std::vector<std::int64_t> out(n);
  for (auto _ : state) {
    read_current_batch(t, b, v.data(), out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_model_read_batch)->ArgName("devices")->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
