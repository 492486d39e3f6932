// circuits/hardware_cost and the counters behind it: a crossbar counts its
// reads' Σ V² G and conversions as a hand computation from its own
// conductances gives them, a tiled layer's counters add up to the untiled
// array's where the hardware is the same, the cost model's energies, latency
// and areas match a hand-computed 2 × 2 case, and the hardware file refuses
// a number without a source, out of range or under an unknown key.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/hardware_cost.hpp>
#include <ionrail/circuits/tiled_layer.hpp>
#include <ionrail/config/hardware_file.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace {

using namespace ionrail;

const std::string thin_table = std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer_thin";
const std::string shipped_hw = std::string(IONRAIL_SOURCE_DIR) + "/materials/hardware_45nm.toml";

circuits::crossbar_params small(int rows, int cols, int adc_bits) {
  circuits::crossbar_params p;
  p.rows = rows, p.cols = cols, p.adc_bits = adc_bits, p.dac_bits = 8, p.v_read_v = 0.2, p.seed = 5;
  p.gain_sigma = 0.1, p.offset_sigma_s = 2e-7;
  return p;
}

// Σ_r V_r² Σ_c G_rc with V_r the 8-bit DAC's level of x_r.
double hand_read_power(const circuits::crossbar_array& xb, const std::vector<double>& x) {
  const std::vector<double> g = xb.conductances();
  double p = 0;
  for (int r = 0; r < xb.rows(); ++r) {
    const double v = std::round(x[static_cast<std::size_t>(r)] * 255) / 255 * 0.2;
    for (int c = 0; c < 2 * xb.cols(); ++c) p += v * v * g[static_cast<std::size_t>(r * 2 * xb.cols() + c)];
  }
  return p;
}

TEST(HardwareCost, ReadCountersMatchAHandSumOverTheDevices) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  for (int adc_bits : {0, 8}) {  // the exact integer path and the ADC path
    circuits::crossbar_array xb(t, small(2, 2, adc_bits));
    const std::vector<double> x = {1.0, 0.5};  // levels 255 and 128
    double out[2];
    xb.read(x.data(), out);
    const auto& a = xb.activity();
    EXPECT_EQ(a.reads, 1);
    EXPECT_EQ(a.dac_conversions, 2);
    EXPECT_EQ(a.adc_conversions, 2);
    EXPECT_NEAR(a.read_power_w, hand_read_power(xb, x), 1e-12 * hand_read_power(xb, x));
    const double v2 = 0.2 * 0.2 + std::pow(128.0 / 255 * 0.2, 2);
    EXPECT_NEAR(a.row_v2, v2, 1e-15);
    // A row at 0 V is not a conversion and draws nothing.
    xb.reset_activity();
    const std::vector<double> x0 = {0.0, 1.0};
    xb.read(x0.data(), out);
    EXPECT_EQ(xb.activity().dac_conversions, 1);
    EXPECT_NEAR(xb.activity().read_power_w, hand_read_power(xb, x0), 1e-12 * hand_read_power(xb, x0));
  }
}

TEST(HardwareCost, WriteCountersAreThePulsesEnergyAndDrivenCells) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  circuits::crossbar_array xb(t, small(2, 2, 8));
  const double e = circuits::write_outer(xb, {1, 0}, {1, 0}, 8.0);
  const auto& a = xb.activity();
  EXPECT_EQ(a.write_steps, 2);
  EXPECT_DOUBLE_EQ(a.write_energy_j, e);
  // Each phase: row 0 at ±4 V drives its 4 devices (one at 8 V, three at
  // 4 V); row 1 at 0 V sees the bit line at ∓4 V on one device: 5 per phase.
  EXPECT_EQ(a.cells_driven, 10);
}

TEST(HardwareCost, TiledCountersAddUpToTheUntiledArray) {
  const model::table t = model_io::load_table(thin_table, model_io::table_format::csv);
  const int rows = 5, cols = 3;
  auto p = small(rows, cols, 0);
  circuits::crossbar_array whole(t, p);
  circuits::tiled_layer tiled(t, rows, cols, 2, 2, p);  // 3 × 2 tiles
  const std::vector<double> x = {1.0, 0.0, 0.3, 0.7, 0.2};
  std::vector<double> a(cols), b(cols);
  whole.read(x.data(), a.data());
  tiled.forward(x.data(), 1, b.data());
  const auto w = whole.activity(), s = tiled.activity();
  // Each of the 2 tiles across has its own DACs and word-line segments: the
  // same rows, converted and charged twice; the devices draw the same power.
  EXPECT_EQ(s.dac_conversions, 2 * w.dac_conversions);
  EXPECT_NEAR(s.read_power_w, w.read_power_w, 1e-12 * w.read_power_w);
  EXPECT_NEAR(s.row_v2, 2 * w.row_v2, 1e-15);
  EXPECT_EQ(w.adc_conversions, cols);                 // one ADC output per column
  EXPECT_EQ(s.adc_conversions, 3 * cols);             // per column and tile row
  EXPECT_EQ(s.reads, 6);                              // every tile reads
  const std::vector<int> active = {1, 0, 1, 1, 0}, dir = {1, 0, -1};
  const double ew = circuits::write_outer(whole, active, dir, 8.0);
  const double et = tiled.write_outer(active, dir, 8.0);
  EXPECT_NEAR(et, ew, 1e-12 * ew);
  const auto w2 = whole.activity(), s2 = tiled.activity();
  EXPECT_EQ(w2.write_steps, 2);
  EXPECT_EQ(s2.write_steps, 12);  // every tile takes both steps
  // Cells driven: the tiles drive their own lines only, so a tile whose rows
  // are all inactive leaves its half-selected cells of active columns at 0 V.
  EXPECT_LE(s2.cells_driven, w2.cells_driven);
}

circuits::hardware_params hand_hw() {
  circuits::hardware_params h;
  h.adc_fom_walden_j = 10e-15, h.adc_conversion_s = 10e-9, h.adc_area_m2 = 3000e-12, h.columns_per_adc = 8;
  h.dac_energy_j = 0.1e-12, h.dac_area_m2 = 137e-12, h.read_time_s = 10e-9, h.wire_cap_f_per_m = 0.2e-9;
  h.cell_pitch_m = 90e-9, h.int_add_energy_j = 0.1e-12, h.int_add_area_m2 = 137e-12, h.fp_add_energy_j = 0.9e-12;
  h.fp_add_area_m2 = 4184e-12, h.fp_mult_energy_j = 3.7e-12, h.fp_mult_area_m2 = 7700e-12;
  h.sram_bit_energy_j = 0.156e-12, h.sram_bit_area_m2 = 0.346e-12;
  return h;
}

TEST(HardwareCost, TwoByTwoCaseByHand) {
  circuits::array_activity a;
  a.reads = 1, a.dac_conversions = 2, a.adc_conversions = 2, a.read_power_w = 1e-5, a.row_v2 = 0.05;
  a.write_steps = 2, a.write_energy_j = 3e-6;
  const circuits::cost_layout l{1, 2, 2, 8, 0.05, 4.0, 4};
  circuits::digital_ops ops;
  ops.int_adds = 4, ops.fp_adds = 2, ops.fp_mults = 1;
  const auto c = circuits::cost_of(a, ops, 4.0, l, hand_hw());
  using circuits::cost_part;
  EXPECT_NEAR(c.energy_j[circuits::array_read], 1e-13, 1e-25);                 // 10 µW × 10 ns
  EXPECT_NEAR(c.energy_j[circuits::write_pulses], 3e-6, 1e-18);
  // 2 × 0.1 pJ + C_line V²: C = 0.2 fF/µm × 90 nm × 4 devices = 0.072 fF, × 0.05 V².
  EXPECT_NEAR(c.energy_j[circuits::dac], 2e-13 + 7.2e-17 * 0.05, 1e-25);
  EXPECT_NEAR(c.energy_j[circuits::adc], 2 * 10e-15 * 256, 1e-25);            // 5.12 pJ
  EXPECT_NEAR(c.energy_j[circuits::digital], 4 * 0.1e-12 + 2 * 0.9e-12 + 3.7e-12, 1e-25);
  EXPECT_NEAR(c.energy_j[circuits::accumulator], 2 * 4 * 4 * 0.156e-12, 1e-25);  // read + write 16 bits
  // One read: 10 ns + 2 columns on one ADC × 10 ns; two write steps of 50 ms.
  EXPECT_NEAR(c.latency_s, 30e-9 + 0.1, 1e-15);
  const auto ar = circuits::area_of(l, hand_hw());
  EXPECT_NEAR(ar[circuits::array_read], 8 * 8.1e-15, 1e-27);
  EXPECT_NEAR(ar[circuits::adc], 3000e-12, 1e-24);
  EXPECT_NEAR(ar[circuits::dac], 2 * 137e-12, 1e-24);
  EXPECT_NEAR(ar[circuits::digital], 2 * 137e-12 + 4184e-12 + 7700e-12, 1e-22);
  EXPECT_NEAR(ar[circuits::accumulator], 16 * 0.346e-12, 1e-24);
  const auto half = circuits::per_each(c, 2);
  EXPECT_NEAR(half.energy_j[circuits::adc], 2.56e-12, 1e-25);
}

TEST(HardwareCost, ShippedFileHoldsTheCitedNumbers) {
  const auto hw = config::load_hardware_file(shipped_hw);
  EXPECT_EQ(hw.params.adc_fom_walden_j, 10e-15);
  EXPECT_EQ(hw.params.int_add_energy_j, 0.1e-12);
  EXPECT_EQ(hw.params.fp_add_energy_j, 0.9e-12);
  EXPECT_EQ(hw.params.fp_mult_energy_j, 3.7e-12);
  EXPECT_EQ(hw.params.sram_bit_area_m2, 0.346e-12);
  for (const auto& e : hw.entries) EXPECT_FALSE(e.source.empty()) << e.key;
}

// The shipped file with one line replaced; the error names the file and key.
std::string refused(const std::string& from, const std::string& to) {
  std::ifstream in(shipped_hw);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  const auto file = (std::filesystem::path(testing::TempDir()) / "hw_bad.toml").string();
  std::ofstream(file) << text;
  try {
    config::load_hardware_file(file);
  } catch (const config::config_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file), std::string::npos) << what;
    return what;
  }
  ADD_FAILURE() << "accepted: " << to;
  return "";
}

TEST(HardwareCost, FileErrorsNameFileAndKey) {
  EXPECT_NE(refused("fom_walden_j = { value = 10e-15, source", "fom_walden_j = { value = 10e-15, sauce")
                .find("adc.fom_walden_j"),
            std::string::npos);
  EXPECT_NE(refused("int_add_energy_j = { value = 0.1e-12,", "int_add_energy_j = { value = -0.1e-12,")
                .find("digital.int_add_energy_j = -1e-13: must be in [0, 1e-09] J"),
            std::string::npos);
  EXPECT_NE(refused("bit_area_m2 =", "bit_aera_m2 =").find("sram.bit_aera_m2: unknown key"), std::string::npos);
  EXPECT_NE(refused("[dac]\nenergy_j", "[dac]\nenergy_j_x").find("dac.energy_j_x: unknown key"), std::string::npos);
  EXPECT_NE(refused("conversion_s = { value = 10e-9, source = \"", "conversion_s = 10e-9 #")
                .find("adc.conversion_s: must be { value = NUMBER, source"),
            std::string::npos);
}

}  // namespace
