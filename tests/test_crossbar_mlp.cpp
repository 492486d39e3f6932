// circuits/crossbar_mlp: the mixed-precision transfer plan keeps exact books
// (χ before = χ after + pulses, in units of ε) and writes only product sets
// of weights that may be pulsed, and a short MNIST run of
// the tiled network learns well above chance with the mixed-precision rule.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>
#include <cstring>
#include <string>

#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace {

using namespace ionrail;

const std::string source = IONRAIL_SOURCE_DIR;

// Runs plan_transfer on a copy of chi0 (rows × cols, row-major) and checks
// every write as it comes: a product set whose cells all had d · χ ≥
// threshold just before it and at least one of which was owed (d · χ ≥ 1),
// each cell at most once per round, no cell outside `candidates` touched.
// Returns the pulses per cell (signed) and the writes in `writes`.
std::vector<int> checked_plan(const std::vector<float>& chi0, int rows, int cols, const std::vector<int>& candidates,
                              int max_pulses, double threshold, int& writes) {
  std::vector<float> chi = chi0, mirror = chi0;
  std::vector<int> pulses(chi0.size(), 0);
  std::vector<char> candidate(static_cast<std::size_t>(rows), 0);
  for (int r : candidates) candidate[static_cast<std::size_t>(r)] = 1;
  writes = circuits::plan_transfer(
      chi.data(), cols, rows, cols, candidates, max_pulses, threshold,
      [&](const std::vector<int>& active, const std::vector<int>& dir) {
        bool owed = false;
        for (int r = 0; r < rows; ++r) {
          if (!active[static_cast<std::size_t>(r)]) continue;
          EXPECT_TRUE(candidate[static_cast<std::size_t>(r)]) << "row " << r;
          for (int c = 0; c < cols; ++c) {
            const int d = dir[static_cast<std::size_t>(c)];
            if (d == 0) continue;
            float& v = mirror[static_cast<std::size_t>(r * cols + c)];
            EXPECT_GE(static_cast<float>(d) * v, static_cast<float>(threshold)) << r << "," << c;
            owed |= static_cast<float>(d) * v >= 1.0f;
            v -= static_cast<float>(d);
            pulses[static_cast<std::size_t>(r * cols + c)] += d;
          }
        }
        EXPECT_TRUE(owed);
      });
  EXPECT_EQ(chi, mirror);  // the planner's χ is the writes' bookkeeping, exactly
  for (std::size_t k = 0; k < chi0.size(); ++k) {
    EXPECT_EQ(chi0[k], chi[k] + static_cast<float>(pulses[k]));  // exact in float32
    EXPECT_LE(std::abs(pulses[k]), max_pulses);
    if (std::abs(pulses[k]) < max_pulses && candidate[k / static_cast<std::size_t>(cols)]) {
      EXPECT_LT(std::fabs(chi[k]), 1.0f) << k;
    }
  }
  return pulses;
}

TEST(CrossbarMlp, TransferPlanIsExactBookkeeping) {
  // Hand-checkable. Threshold 1 (owed weights only): 1.2 owes +1, −1.5
  // owes −1, 1.0 owes +1, 2.5 owes +2; 0.7 and 0.6 owe nothing. Round 1:
  // rows {0, 2} × column 0 up, row 2 × column 1 up, row 0 × column 2 down;
  // round 2: row 2 × column 1 again: 4 writes.
  const std::vector<float> chi0 = {1.2f, 0.7f, -1.5f, 0.6f, 0.0f, 0.0f, 1.0f, 2.5f, 0.0f};
  int writes = 0;
  auto pulses = checked_plan(chi0, 3, 3, {0, 1, 2}, 4, 1.0, writes);
  EXPECT_EQ(pulses, (std::vector<int>{1, 0, -1, 0, 0, 0, 1, 2, 0}));
  EXPECT_EQ(writes, 4);
  // Rounding to nearest (0.5): 0.7 at (0, 1) joins the first write, which
  // becomes rows {0, 2} × columns {0, 1} up; row 1 (0.6) brings nothing
  // owed and stays out: 3 writes.
  pulses = checked_plan(chi0, 3, 3, {0, 1, 2}, 4, 0.5, writes);
  EXPECT_EQ(pulses, (std::vector<int>{1, 1, -1, 0, 0, 0, 1, 2, 0}));
  EXPECT_EQ(writes, 3);
  // At most max_pulses per weight: 2.5 with one pulse keeps 1.5.
  pulses = checked_plan(chi0, 3, 3, {0, 1, 2}, 1, 1.0, writes);
  EXPECT_EQ(pulses[7], 1);
  // A row that is not a candidate is never written.
  pulses = checked_plan(chi0, 3, 3, {1, 2}, 4, 0.5, writes);
  EXPECT_EQ(pulses[0], 0);
  EXPECT_EQ(pulses[2], 0);
  EXPECT_THROW(checked_plan(chi0, 3, 3, {0}, 4, 0.4, writes), std::invalid_argument);
  EXPECT_THROW(checked_plan(chi0, 3, 3, {0}, 0, 1.0, writes), std::invalid_argument);
}

TEST(CrossbarMlp, TransferPlanOnRandomTiles) {
  // 200 random 16 × 8 tiles, χ a multiple of 1/256 in [−3.5, 3.5] on the
  // candidate rows and in (−1, 1) elsewhere (as after earlier transfers).
  // With threshold 1 every weight gets exactly the floor rule's pulses,
  // sign(χ) · min(⌊|χ|⌋, max_pulses); with 0.5 the checks of checked_plan.
  std::uint64_t state = 12345;
  const auto next = [&state] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  const int rows = 16, cols = 8;
  long long writes_floor = 0, writes_round = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int> candidates;
    for (int r = 0; r < rows; ++r)
      if (next() % 3 != 0) candidates.push_back(r);
    std::vector<float> chi0(static_cast<std::size_t>(rows * cols));
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const bool cand = std::find(candidates.begin(), candidates.end(), r) != candidates.end();
        const int span = cand ? 896 : 255;  // 3.5 · 256, or below 1
        chi0[static_cast<std::size_t>(r * cols + c)] =
            static_cast<float>(static_cast<int>(next() % static_cast<std::uint64_t>(2 * span + 1)) - span) / 256.0f;
      }
    const int max_pulses = 1 + static_cast<int>(next() % 4);
    int w = 0;
    const auto floor_pulses = checked_plan(chi0, rows, cols, candidates, max_pulses, 1.0, w);
    writes_floor += w;
    for (std::size_t k = 0; k < chi0.size(); ++k) {
      const int n = std::min(static_cast<int>(std::floor(std::fabs(chi0[k]))), max_pulses);
      EXPECT_EQ(floor_pulses[k], chi0[k] < 0 ? -n : n) << trial << " " << k;
    }
    checked_plan(chi0, rows, cols, candidates, max_pulses, 0.5, w);
    writes_round += w;
  }
  // Not a bound, a record: rounding lets writes cover more of a tile.
  std::printf("writes over 200 tiles: threshold 1: %lld, threshold 0.5: %lld\n", writes_floor, writes_round);
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
  // 197 rows in 64-row tiles, 4 tiles down, read and programmed on OpenMP threads; one
  // thread, four, and the thread governor's choice per sample (up to four)
  // give the same bits.
  const int threads = omp_get_max_threads();
  mp.adaptive_threads = false;
  omp_set_num_threads(1);
  const auto a = circuits::train_mlp(data, table, array_params(table_dir), mp);
  omp_set_num_threads(4);
  const auto b = circuits::train_mlp(data, table, array_params(table_dir), mp);
  mp.adaptive_threads = true;
  const auto c = circuits::train_mlp(data, table, array_params(table_dir), mp);
  omp_set_num_threads(threads);
  EXPECT_EQ(a.epochs[0].threads_mean, 1.0);
  EXPECT_EQ(b.epochs[0].threads_mean, 4.0);
  EXPECT_GE(c.epochs[0].threads_mean, 1.0);
  EXPECT_LE(c.epochs[0].threads_mean, 4.0);
  for (const auto* r : {&b, &c}) {
    ASSERT_EQ(a.g_after_s.size(), r->g_after_s.size());
    EXPECT_EQ(0, std::memcmp(a.g_after_s.data(), r->g_after_s.data(), a.g_after_s.size() * sizeof(double)));
    EXPECT_EQ(a.epochs[0].test_accuracy, r->epochs[0].test_accuracy);
    EXPECT_EQ(a.epochs[0].cell_pulses, r->epochs[0].cell_pulses);
  }
}

}  // namespace
