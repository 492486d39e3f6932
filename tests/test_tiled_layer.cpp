// circuits/tiled_layer: a layer split across tiles equals the untiled array
// bit for bit when the wires and the ADC are ideal (device seeds follow the
// global weight, partial sums add exactly), each tile quantises on its own
// when the ADC is on, and sizes that make no layer are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/tiled_layer.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace {

using namespace ionrail;

const std::string thin_table = std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer_thin";

// Bitwise equality of two double vectors (EXPECT_EQ on doubles would pass
// -0 == +0; the claim is bit for bit).
::testing::AssertionResult same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " values vs " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0)
      return ::testing::AssertionFailure() << "index " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

// Variation and noise on, so the seeds must follow the global weight.
circuits::crossbar_params ideal_params(int rows, int cols) {
  circuits::crossbar_params p;
  p.rows = rows;
  p.cols = cols;
  p.adc_bits = 0;
  p.wire_ohm = 0;
  p.gain_sigma = 0.1;
  p.offset_sigma_s = 2e-7;
  p.noise = true;
  p.seed = 17;
  return p;
}

TEST(CircuitsTiledLayer, EqualsTheUntiledArrayBitForBitWithIdealWiresAndAdc) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  const int rows = 300, cols = 70, batch = 4;  // neither a multiple of the 128 × 32 tile
  const circuits::crossbar_params p = ideal_params(rows, cols);
  circuits::crossbar_array flat(t, p);
  circuits::tiled_layer tiled(t, rows, cols, 128, 32, p);
  ASSERT_EQ(tiled.tiles_down(), 3);
  ASSERT_EQ(tiled.tiles_across(), 3);
  EXPECT_EQ(tiled.tile(2, 2).rows(), 300 - 256);
  EXPECT_EQ(tiled.tile(2, 2).cols(), 70 - 64);

  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(batch) * rows);
  for (double& v : x) v = u(gen);

  auto forward_both = [&] {
    std::vector<double> a(static_cast<std::size_t>(batch) * cols), b(a.size());
    for (int k = 0; k < batch; ++k) flat.read(x.data() + k * rows, a.data() + k * cols);
    tiled.forward(x.data(), batch, b.data());
    EXPECT_TRUE(same_bits(a, b));
    return a;
  };
  EXPECT_TRUE(same_bits(flat.conductances(), tiled.conductances()));
  const std::vector<double> before = forward_both();

  // The same outer-product writes: every device steps through the same
  // voltages with the same noise stream.
  std::uniform_int_distribution<int> dir(-1, 1), on(0, 3);
  double e_flat = 0, e_tiled = 0;
  for (int k = 0; k < 6; ++k) {
    std::vector<int> active(rows), d(cols);
    for (int& a : active) a = on(gen) == 0;
    for (int& c : d) c = dir(gen);
    e_flat += circuits::write_outer(flat, active, d, 7.0);
    e_tiled += tiled.write_outer(active, d, 7.0);
  }
  flat.relax(3);
  tiled.relax(3);
  EXPECT_TRUE(same_bits(flat.conductances(), tiled.conductances()));
  EXPECT_TRUE(same_bits(flat.weights(), tiled.weights()));
  const std::vector<double> after = forward_both();
  EXPECT_FALSE(same_bits(before, after)) << "the writes moved no weight: the test would prove nothing";
  // Energy is summed in another order: equal to rounding.
  EXPECT_NEAR(e_tiled, e_flat, 1e-12 * e_flat);
  EXPECT_EQ(tiled.tile(0, 0).steps(), flat.steps());
}

// The exact ideal-ADC read is the pre-ADC differential current to rounding.
TEST(CircuitsTiledLayer, IdealAdcReadIsTheExactCurrent) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  circuits::crossbar_params p = ideal_params(40, 5);
  p.dac_bits = 16;
  circuits::crossbar_array xb(t, p);
  std::vector<double> x(40), a(5), b(5);
  for (int r = 0; r < 40; ++r) x[static_cast<std::size_t>(r)] = (r * 37 % 40) / 39.0;
  xb.read(x.data(), a.data());
  xb.read_exact(x.data(), b.data());
  double scale = 0;
  for (double v : b) scale = std::max(scale, std::fabs(v));
  ASSERT_GT(scale, 0.0);
  // 16-bit DAC: each input off by at most half an LSB, 2^-17 relative.
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(a[static_cast<std::size_t>(c)], b[static_cast<std::size_t>(c)], 40 * 0x1.0p-17 * scale);
}

// With the ADC on, each tile rounds its own partial sum: two tiles at 0.4 of
// full scale each read 0 with a 2-bit ADC (levels −fs, 0, +fs), where one
// untiled ADC would read the 0.8 total as +fs.
TEST(CircuitsTiledLayer, EachTileQuantisesOnItsOwn) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  circuits::crossbar_params p;
  p.noise = false;  // identical devices: both tiles carry the same current
  p.adc_bits = 0;
  const auto programmed = [&](const circuits::crossbar_params& q) {
    circuits::tiled_layer l(t, 4, 1, 2, 1, q);
    for (int k = 0; k < 5; ++k) l.write_outer({1, 1, 1, 1}, {+1}, 7.0);
    return l;
  };
  const std::vector<double> x{1, 1, 1, 1};
  double exact = 0;
  programmed(p).forward(x.data(), 1, &exact);
  ASSERT_GT(std::fabs(exact), 0.0);
  p.adc_bits = 2;
  p.adc_full_scale_a = std::fabs(exact) / 2 / 0.4;  // each tile: 0.4 fs
  const circuits::tiled_layer l = programmed(p);
  double out = -1;
  l.forward(x.data(), 1, &out);
  EXPECT_EQ(out, 0.0);
  // One untiled array with the same ADC and devices reads the 0.8 fs total as fs.
  circuits::crossbar_params flat_p = p;
  flat_p.rows = 4;
  flat_p.cols = 1;
  circuits::crossbar_array flat(t, flat_p);
  for (int k = 0; k < 5; ++k) circuits::write_outer(flat, {1, 1, 1, 1}, {+1}, 7.0);
  double whole = 0;
  flat.read(x.data(), &whole);
  EXPECT_EQ(std::fabs(whole), p.adc_full_scale_a);
  // The hand rule per tile, round(clamp(I / fs) · (2^(bits−1) − 1)) / (…) · fs, summed.
  p.adc_bits = 5;
  const circuits::tiled_layer l5 = programmed(p);
  l5.forward(x.data(), 1, &out);
  const double half = 15, tile_i = exact / 2;
  const double expect = 2 * std::round(std::clamp(tile_i / p.adc_full_scale_a, -1.0, 1.0) * half) / half * p.adc_full_scale_a;
  EXPECT_NEAR(out, expect, 1e-12 * std::fabs(expect));
  EXPECT_EQ(l5.tile(0, 0).adc_full_scale_a(), p.adc_full_scale_a);
}

// The default ADC full scale is a full tile's on every tile, edge tiles too.
TEST(CircuitsTiledLayer, DefaultFullScaleIsAFullTiles) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  circuits::crossbar_params p;
  const circuits::tiled_layer l(t, 130, 3, 64, 2, p);
  const double fs = 64 * p.v_read_v * std::fabs(l.tile(0, 0).g_span_s()) / 4;
  for (int i = 0; i < l.tiles_down(); ++i)
    for (int j = 0; j < l.tiles_across(); ++j) EXPECT_DOUBLE_EQ(l.tile(i, j).adc_full_scale_a(), fs) << i << "," << j;
  EXPECT_EQ(l.tile(2, 1).rows(), 2);
  EXPECT_EQ(l.tile(2, 1).cols(), 1);
}

TEST(CircuitsTiledLayer, RefusesSizesThatMakeNoLayer) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  const circuits::crossbar_params p;
  EXPECT_THROW(circuits::tiled_layer(t, 10, 10, 0, 4, p), std::invalid_argument);
  EXPECT_THROW(circuits::tiled_layer(t, 10, 10, 4, -1, p), std::invalid_argument);
  EXPECT_THROW(circuits::tiled_layer(t, 0, 10, 4, 4, p), std::invalid_argument);
  EXPECT_THROW(circuits::tiled_layer(t, 10, -3, 4, 4, p), std::invalid_argument);
  circuits::tiled_layer l(t, 10, 10, 4, 4, p);
  EXPECT_THROW(l.write_outer(std::vector<int>(9), std::vector<int>(10), 7.0), std::invalid_argument);
  EXPECT_THROW(l.write_outer(std::vector<int>(10), std::vector<int>(11), 7.0), std::invalid_argument);
  std::vector<double> x(10), out(10);
  EXPECT_THROW(l.forward(x.data(), -1, out.data()), std::invalid_argument);
  // The ADC: 0 is ideal, 1 bit is no signed ADC.
  circuits::crossbar_params q;
  q.adc_bits = 1;
  EXPECT_THROW(circuits::tiled_layer(t, 10, 10, 4, 4, q), std::invalid_argument);
  q.rows = q.cols = 4;
  EXPECT_THROW(circuits::crossbar_array(t, q), std::invalid_argument);
  q.adc_bits = 0;
  EXPECT_NO_THROW(circuits::crossbar_array(t, q));
  // A placement that does not hold the array.
  EXPECT_THROW(circuits::crossbar_array(t, q, circuits::device_placement{0, 2, 5}), std::invalid_argument);
  EXPECT_THROW(circuits::crossbar_array(t, q, circuits::device_placement{-1, 0, 4}), std::invalid_argument);
}

// 1T1R cells (cell_selector::transistor): a write (one model step) of rows
// {1, 3} × columns {0 up, 2 down} moves exactly those four pairs, G+ and G−
// in opposite directions; every other device is bit for bit where an array
// that only relaxed for the same model steps is
// (noise and variation on: same seeds, same noise streams). The passive
// array's half-selected cells drift away from their twin's.
TEST(TiledLayer, TransistorCellsIsolateUnselectedDevices) {
  const auto table = model_io::load_table(thin_table, model_io::table_format::csv);
  for (auto selector : {circuits::cell_selector::passive, circuits::cell_selector::transistor}) {
    auto p = ideal_params(4, 3);
    p.selector = selector;
    circuits::crossbar_array written(table, p), twin(table, p);
    circuits::write_outer(written, {0, 1, 0, 1}, {1, 0, -1}, 8.0);
    twin.relax(circuits::write_outer_steps(written));
    const auto g = written.conductances(), g0 = twin.conductances();
    double other = 0;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 3; ++c)
        for (bool minus : {false, true}) {
          const std::size_t k = written.index(r, c, minus);
          const bool selected = (r == 1 || r == 3) && c != 1;
          if (selected) {
            // One 8 V pulse: ~3 µS; column 0 is written up (G+ rises, G−
            // falls), column 2 down.
            const double up = (c == 0) != minus ? 1.0 : -1.0;
            EXPECT_GT(up * (g[k] - g0[k]), 1e-6) << r << "," << c << (minus ? " G-" : " G+");
          } else {
            other = std::max(other, std::fabs(g[k] - g0[k]));
          }
        }
    if (selector == circuits::cell_selector::transistor) {
      EXPECT_EQ(other, 0.0);
    } else {
      EXPECT_GT(other, 1e-9);  // half-selected at 4 V: ~0.05 µS
    }
  }
}

// The digits learner's work estimate (what `ionrail crossbar --max-work`
// refuses on) counts the model steps a write takes with the array's cell:
// with pulse trains of 3 slots and no rest, a digit is a read and 3 writes,
// 1 + 3·2 = 7 device-step units with the V/2 scheme and 1 + 3·1 = 4 with
// 1T1R cells; the test reads and the retention are the same for both.
TEST(TiledLayer, WorkEstimateCountsTheCellsWriteSteps) {
  EXPECT_EQ(circuits::write_outer_steps(circuits::cell_selector::passive), 2);
  EXPECT_EQ(circuits::write_outer_steps(circuits::cell_selector::transistor), 1);
  circuits::learning_params lp;
  lp.epochs = 1;
  lp.pulse_train_length = 3;
  lp.rest_steps = 0;
  lp.retention_s = 0;
  circuits::crossbar_params passive, transistor;
  passive.selector = circuits::cell_selector::passive;
  transistor.selector = circuits::cell_selector::transistor;
  const double w_passive = circuits::train_digits_work(lp, passive, 10, 0);
  const double w_transistor = circuits::train_digits_work(lp, transistor, 10, 0);
  EXPECT_GT(w_transistor, 0.0);
  EXPECT_DOUBLE_EQ(w_passive / w_transistor, 7.0 / 4.0);
}

}  // namespace

namespace {

// program_tiles: the busiest tile sets the layer's time, and every tile ends
// with the same model steps, write_steps() per write (2 with the V/2 scheme,
// 1 with 1T1R cells). The tile with one write is bit for bit a lone array
// that wrote once and then relaxed for the rest of the busiest tile's writes.
TEST(TiledLayer, ProgramTilesAgesEveryTileByTheBusiestTilesSteps) {
  const auto table = model_io::load_table(thin_table, model_io::table_format::csv);
  for (auto selector : {circuits::cell_selector::passive, circuits::cell_selector::transistor}) {
    auto p = ideal_params(0, 0);
    p.selector = selector;
    circuits::tiled_layer layer(table, 4, 4, 2, 2, p);
    const int per_write = layer.write_steps();
    EXPECT_EQ(per_write, selector == circuits::cell_selector::transistor ? 1 : 2);
    std::vector<std::vector<circuits::tile_write>> writes(4);
    for (int k = 0; k < 3; ++k) writes[0].push_back({{1, k % 2}, {1, -1}});
    writes[3].push_back({{0, 1}, {-1, 0}});
    int most = 0;
    const auto energy = layer.program_tiles(writes, 8.0, most);
    EXPECT_EQ(most, 3);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) EXPECT_EQ(layer.tile(i, j).steps(), 3 * per_write) << i << "," << j;
    EXPECT_GT(energy[0], 0.0);
    EXPECT_EQ(energy[1], 0.0);
    // Tile (1, 1) against a lone array with its devices.
    auto q = p;
    q.rows = 2, q.cols = 2;
    circuits::crossbar_array lone(table, q, circuits::device_placement{2, 2, 4});
    circuits::write_outer(lone, {0, 1}, {-1, 0}, 8.0);
    lone.relax(2 * per_write);
    EXPECT_TRUE(same_bits(layer.tile(1, 1).conductances(), lone.conductances()));
  }
}

}  // namespace
