// Speed of the circuits built from the compact model (docs/circuits.md), on
// the shipped thin-film table and the 8x8 digits. Items: digits presented.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <ionrail/app/table_io.hpp>
#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/snn.hpp>

namespace {

using namespace ionrail;

const std::string thin_table = std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer_thin";

struct digits_data {
  model::table table = app::load_table(thin_table, app::table_format::csv);
  std::vector<circuits::digit> data = circuits::load_digits(std::string(IONRAIL_SOURCE_DIR) + "/data/digits.csv.gz");
  circuits::digit_split split = circuits::split_digits(data, 450, 1);
};

const digits_data& shared_data() {
  static const digits_data d;
  return d;
}

// One training epoch over the 1,347 training digits, as experiments/
// crossbar_digits.toml runs it, for all three learners (compact-model
// crossbar, ideal devices, float64 baseline) plus their test evaluations; the
// compact-model crossbar alone is about a third of it. Arg: pulse-train
// length (0: Manhattan rule).
void BM_circuits_crossbar_epoch(benchmark::State& state) {
  const digits_data& d = shared_data();
  circuits::crossbar_params xp;
  xp.initial_state = app::table_metadata(thin_table, "s_eq");
  xp.gain_sigma = 0.05;
  xp.offset_sigma_s = 0.5e-6;
  circuits::learning_params lp;
  lp.epochs = 1;
  lp.v_write_v = 8.0;
  lp.softmax_beta = 0.2;
  lp.error_threshold = 0.3;
  lp.pulse_train_length = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const auto r = circuits::train_digits(d.data, d.split, d.table, xp, lp);
    benchmark::DoNotOptimize(r.device.epochs.back().test_accuracy);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long long>(d.split.train.size()));
}
BENCHMARK(BM_circuits_crossbar_epoch)->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);

// The spiking network of experiments/snn_digits.toml on its first 200
// training digits, then labelling on 200 and the 450 test digits: every
// digit is 24 model steps of 100 LIF neurons and, in training, 6,400 device
// steps per model step. Items: digits presented (train + label + test).
void BM_circuits_snn_digits(benchmark::State& state) {
  const digits_data& d = shared_data();
  circuits::snn_params p;
  p.neurons = 100;
  p.max_rate = 0.6;
  p.threshold = 20;
  p.theta_plus = 0.2;
  p.waveform.pre_v = 3.5;
  p.waveform.pre_steps = 2;
  p.waveform.post_v1 = 4.0;
  p.waveform.post_v2 = 6.0;
  p.train_limit = 200;
  p.label_limit = 200;
  for (auto _ : state) {
    const auto r = circuits::train_snn(d.data, d.split, d.table, 0.05, p);
    benchmark::DoNotOptimize(r.test_accuracy);
  }
  state.SetItemsProcessed(state.iterations() * (200 + 200 + static_cast<long long>(d.split.test.size())));
}
BENCHMARK(BM_circuits_snn_digits)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
