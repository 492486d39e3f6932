// circuits/crossbar_mlp: the mixed-precision accumulator transfers exactly
// (χ before = χ after + pulses · ε, in units of ε), and a short MNIST run of
// the tiled network learns well above chance with the mixed-precision rule.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace {

using namespace ionrail;

const std::string source = IONRAIL_SOURCE_DIR;

TEST(CrossbarMlp, AccumulatorTransfersExactly) {
  // Hand-checkable: 2.75 ε owes 2 pulses and keeps 0.75 ε; −3.5 ε with at
  // most 2 pulses per sample owes −2 and keeps −1.5 ε; below ε nothing moves.
  float chi = 2.75f;
  EXPECT_EQ(circuits::transfer_pulses(chi, 4), 2);
  EXPECT_EQ(chi, 0.75f);
  chi = -3.5f;
  EXPECT_EQ(circuits::transfer_pulses(chi, 2), -2);
  EXPECT_EQ(chi, -1.5f);
  chi = 0.999f;
  EXPECT_EQ(circuits::transfer_pulses(chi, 4), 0);
  EXPECT_EQ(chi, 0.999f);
  chi = -1.0f;
  EXPECT_EQ(circuits::transfer_pulses(chi, 4), -1);
  EXPECT_EQ(chi, 0.0f);
  // The identity for many values: χ_before == χ_after + n exactly (float32).
  for (int k = -4000; k <= 4000; ++k) {
    const float before = static_cast<float>(k) * 0.01171875f;  // 3/256: exact binary fractions
    float after = before;
    const int n = circuits::transfer_pulses(after, 8);
    EXPECT_EQ(before, after + static_cast<float>(n)) << before;
    EXPECT_LE(std::abs(n), 8);
    if (std::abs(n) < 8) {
      EXPECT_LT(std::fabs(after), 1.0f) << before;
    }
  }
}

circuits::mlp_data small_mnist(int train) {
  const std::string dir = source + "/data/mnist10k";
  const auto set = circuits::load_mnist(dir + "/images-idx3-ubyte.gz", dir + "/labels-idx1-ubyte.gz");
  auto d = circuits::mlp_data_from_mnist(set, circuits::split_mnist(set.count, 2000, 1), true);
  d.train.resize(static_cast<std::size_t>(train));
  d.test.resize(500);
  return d;
}

circuits::crossbar_params array_params(const std::string& table_dir) {
  circuits::crossbar_params p;
  p.dt_m_s = model_io::table_metadata(table_dir, "dt_m_s");
  p.initial_state = model_io::table_metadata(table_dir, "s_eq");
  p.gain_sigma = 0.05;
  p.offset_sigma_s = 0.5e-6;
  p.seed = 1;
  return p;
}

// 2,000 pooled training images, one epoch, H = 32, 500 test images. Chance
// is 10 %: with p = 0.1, 500 guesses score above 15 % with probability
// < 1e-4 (binomial, 5 σ at σ = 1.3 %), so 40 % is far beyond luck.
void expect_learns(circuits::mlp_rule rule, double learning_rate) {
  const std::string table_dir = source + "/tables/polymer_thin";
  const auto table = model_io::load_table(table_dir, model_io::table_format::csv);
  circuits::mlp_params mp;
  mp.hidden = {32};
  mp.tile_rows = 64;
  mp.tile_cols = 32;
  mp.rule = rule;
  mp.learning_rate = learning_rate;
  mp.hidden_gain = 0.06;
  mp.output_gain = 0.4;
  mp.seed = 1;
  const auto r = circuits::train_mlp(small_mnist(2000), table, array_params(table_dir), mp);
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_GE(r.epochs[0].test_accuracy, 0.40) << r.rule;
  // ε came from the table; the accumulator is float32 per weight.
  EXPECT_GT(r.epsilon_s, 0);
  EXPECT_EQ(r.accumulator_bits, 32);
  EXPECT_EQ(r.weights, 197LL * 32 + 33LL * 10);
  EXPECT_GT(r.epochs[0].cell_pulses, 0);
  EXPECT_EQ(r.sizes, (std::vector<int>{196, 32, 10}));
}

TEST(CrossbarMlp, MixedPrecisionLearnsMnistAboveChance) { expect_learns(circuits::mlp_rule::mixed_precision, 0.1); }

}  // namespace

namespace {

// Same seed, same bits: the network runs on one thread (no thread count
// enters), so two runs agree on every conductance and every accuracy.
TEST(CrossbarMlp, SameSeedSameBits) {
  const std::string table_dir = source + "/tables/polymer_thin";
  const auto table = model_io::load_table(table_dir, model_io::table_format::csv);
  circuits::mlp_params mp;
  mp.hidden = {8};
  mp.tile_rows = 64;
  mp.tile_cols = 8;
  mp.seed = 3;
  const auto data = small_mnist(300);
  const auto a = circuits::train_mlp(data, table, array_params(table_dir), mp);
  const auto b = circuits::train_mlp(data, table, array_params(table_dir), mp);
  ASSERT_EQ(a.g_after_s.size(), b.g_after_s.size());
  EXPECT_EQ(0, std::memcmp(a.g_after_s.data(), b.g_after_s.data(), a.g_after_s.size() * sizeof(double)));
  EXPECT_EQ(a.epochs[0].test_accuracy, b.epochs[0].test_accuracy);
  EXPECT_EQ(a.epochs[0].cell_pulses, b.epochs[0].cell_pulses);
}

}  // namespace
