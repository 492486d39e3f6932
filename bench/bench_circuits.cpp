// Speed of the circuits built from the compact model (docs/circuits.md): the
// shipped experiments (experiments/crossbar_digits.toml, snn_digits.toml)
// read as `ionrail crossbar` / `ionrail snn` read them, with fewer epochs or
// digits. Items: digits presented.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/ir_drop.hpp>
#include <ionrail/circuits/snn.hpp>
#include <ionrail/circuits/tiled_layer.hpp>
#include <ionrail/runs/crossbar_network.hpp>

#include <omp.h>

#include "busy_neighbour.hpp"

namespace {

using namespace ionrail;

const std::string experiments = std::string(IONRAIL_SOURCE_DIR) + "/experiments/";

// An experiment's table, digits and split.
struct circuit_inputs {
  model::table table;
  std::vector<circuits::digit> data;
  circuits::digit_split split;
  circuit_inputs(const std::string& table_dir, const std::string& data_file, int test_count, std::uint64_t seed)
      : table(model_io::load_table(table_dir, model_io::table_format::csv)), data(circuits::load_digits(data_file)),
        split(circuits::split_digits(data, test_count, seed)) {}
};

// One training epoch over the 1,347 training digits for all three learners
// (compact-model crossbar, ideal devices, float64 baseline) plus their test
// evaluations; the compact-model crossbar alone is about a third of it.
// Arg: pulse-train length (0: Manhattan rule, as shipped).
void BM_circuits_crossbar_epoch(benchmark::State& state) {
  const config::run_config cfg = config::load_run_config(experiments + "crossbar_digits.toml", {"crossbar.epochs=1"});
  const auto& x = cfg.crossbar;
  const circuit_inputs in(x.table_dir, x.data_file, x.learning.test_count, cfg.sim.seed);
  const circuits::crossbar_params xp = runs::crossbar_array_of(cfg);
  circuits::learning_params lp = x.learning;
  lp.seed = cfg.sim.seed;
  lp.pulse_train_length = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const auto r = circuits::train_digits(in.data, in.split, in.table, xp, lp);
    benchmark::DoNotOptimize(r.device.epochs.back().test_accuracy);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long long>(in.split.train.size()));
}
BENCHMARK(BM_circuits_crossbar_epoch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

// The spiking network of experiments/snn_digits.toml on its first 200
// training digits (one epoch), then labelling on 200 and the 450 test digits: every
// digit is 24 model steps of 100 LIF neurons and, in training, 6,400 device
// steps per model step. Items: digits presented (train + label + test).
void BM_circuits_snn_digits(benchmark::State& state) {
  const config::run_config cfg =
      config::load_run_config(experiments + "snn_digits.toml", {"snn.train_limit=200", "snn.label_limit=200", "snn.epochs=1"});
  const auto& x = cfg.snn;
  const circuit_inputs in(x.table_dir, x.data_file, x.network.test_count, cfg.sim.seed);
  const double dt_m = model_io::table_metadata(x.table_dir, "dt_m_s");
  circuits::snn_params p = x.network;
  p.seed = cfg.sim.seed;
  for (auto _ : state) {
    const auto r = circuits::train_snn(in.data, in.split, in.table, dt_m, p);
    benchmark::DoNotOptimize(r.test_accuracy);
  }
  state.SetItemsProcessed(state.iterations() * (2 * 200 + static_cast<long long>(in.split.test.size())));
}
BENCHMARK(BM_circuits_snn_digits)->Unit(benchmark::kMillisecond);

// A 784 × 128 layer (MNIST pixels to 128 hidden units) in 128 × 128 tiles
// (7 × 1, the last of 16 rows), as the crossbar experiment configures a tile
// (8-bit DAC and ADC, ideal wires, noise on). Arg: batch size; each
// iteration reads the devices once and forwards the whole batch. Items:
// input vectors.
void BM_circuits_tiled_forward(benchmark::State& state) {
  const config::run_config cfg = config::load_run_config(experiments + "crossbar_digits.toml", {});
  const model::table table = model_io::load_table(cfg.crossbar.table_dir, model_io::table_format::csv);
  const circuits::crossbar_params p = runs::crossbar_array_of(cfg);
  const circuits::tiled_layer layer(table, 784, 128, 128, 128, p);
  const int batch = static_cast<int>(state.range(0));
  std::vector<double> x(static_cast<std::size_t>(batch) * 784), out(static_cast<std::size_t>(batch) * 128);
  std::uint64_t s = 7;
  for (double& v : x) v = circuits::uniform01(s);
  for (auto _ : state) {
    layer.forward(x.data(), batch, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_circuits_tiled_forward)->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);

// The shipped MNIST network, one epoch of `images` training images, no
// float64 twin, a 200-image test pass.
runs::network_setup shipped_network(int images) {
  const config::run_config cfg = config::load_run_config(
      experiments + "crossbar_mnist.toml",
      {"crossbar.epochs=1", "crossbar.float_baseline=false", "crossbar.test_images=200",
       "crossbar.train_limit=" + std::to_string(images)});
  return runs::load_network_setup(cfg, experiments + "crossbar_mnist.toml");
}

// The shipped MNIST network (experiments/crossbar_mnist.toml: 784-128-10,
// 1T1R tiles, mixed precision) trained on its first Arg training images,
// one epoch, without the float64 twin; the test pass over 200 images is
// inside the time. Items: training images. An epoch's first images cost
// the most (the largest updates), so 1,000 images give a conservative rate
// to scale to the 8,000-image epoch. Second arg: 1 keeps the file's wire
// resistance (IR drop solved per tile and image), 0 ideal wires.
void BM_circuits_mlp_train(benchmark::State& state) {
  const int images = static_cast<int>(state.range(0));
  const bool wires = state.range(1) != 0;
  runs::network_setup setup = shipped_network(images);
  if (!wires) setup.array.wire_ohm = 0;
  state.SetLabel(setup.array.wire_ohm > 0 ? "wires " + std::to_string(setup.array.wire_ohm) + " ohm" : "ideal wires");
  for (auto _ : state) {
    const auto rep = circuits::train_mlp(setup.data, setup.table, setup.array, setup.mlp);
    benchmark::DoNotOptimize(rep.epochs.back().test_accuracy);
  }
  state.SetItemsProcessed(state.iterations() * images);
}
BENCHMARK(BM_circuits_mlp_train)->Args({1000, 0})->Args({1000, 1})->Unit(benchmark::kSecond)->Iterations(1);

// The shipped network's training (ideal wires, 300 images, no test pass
// beyond 200 images) with one other busy process on the machine: threads
// fixed (adaptive:0) or chosen per sample by the thread governor
// (adaptive:1), which must never be slower than one thread.
void BM_circuits_mlp_train_contended(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  runs::network_setup setup = shipped_network(300);
  setup.array.wire_ohm = 0;
  setup.mlp.adaptive_threads = state.range(1) != 0;
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  double threads_mean = 0;
  {
    const bench::busy_neighbour neighbour;
    for (auto _ : state) {
      const auto rep = circuits::train_mlp(setup.data, setup.table, setup.array, setup.mlp);
      threads_mean = rep.epochs.back().threads_mean;
    }
  }
  omp_set_num_threads(before);
  state.SetItemsProcessed(state.iterations() * 300);
  state.counters["threads_mean"] = threads_mean;
}
BENCHMARK(BM_circuits_mlp_train_contended)
    ->ArgNames({"threads", "adaptive"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({2, 1})
    ->UseRealTime()
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

// One IR-drop read (ir_drop.hpp) of a 128-row × 256-bit-line array (a
// 128 × 128 weight tile of differential pairs), as crossbar_array::read
// solves it: g uniform in 10–57 µS, 80 % of the rows at 0 V (sparse MNIST
// inputs) and the rest 0–0.2 V, the default tolerance 1e-12. Arg: wire
// resistance per segment in units of 0.1 Ω (10: 1 Ω, 25: 2.5 Ω). Items:
// solves. Counter `sweeps`: line sweeps per solve.
void BM_circuits_ir_drop_solve(benchmark::State& state) {
  const int rows = 128, lines = 256;
  std::vector<double> v_row(rows), g(static_cast<std::size_t>(rows) * lines);
  std::uint64_t s = 11;
  for (double& x : v_row) x = circuits::uniform01(s) < 0.8 ? 0.0 : 0.2 * circuits::uniform01(s);
  for (double& x : g) x = 10e-6 + 47e-6 * circuits::uniform01(s);
  const circuits::ir_drop_problem p{rows, lines, 0.1 * static_cast<double>(state.range(0)), v_row.data(), g.data()};
  int sweeps = 0;
  for (auto _ : state) {
    const circuits::ir_drop_solution sol = circuits::solve_ir_drop(p);
    benchmark::DoNotOptimize(sol.column_current_a.data());
    sweeps = sol.iterations;
  }
  state.counters["sweeps"] = sweeps;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_circuits_ir_drop_solve)->Arg(10)->Arg(25)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
