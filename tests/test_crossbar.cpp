// The crossbar golden model (model/include/ionrail/model/crossbar.hpp): each
// device sees V_row − V_col and steps exactly as model::step would alone,
// idle devices keep their state unless relaxing, column currents are the
// exact sums of read_current, and a column-by-column write equals a whole one.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <vector>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/model.hpp>

namespace {

using namespace ionrail::model;

const table& smooth_table() {
  static const table t = [] {
    table x = make_table(
        table_grid::make(4, 11, 8), [](double s, double v) { return 0.02 * (0.5 + 0.05 * v - s); },
        [](double, double) { return 1e-3; }, [](double s) { return 2.0 + 500.0 * s; });
    add_fluct(x, [](double, double) { return 2e-3; }, 0.8);
    return x;
  }();
  return t;
}

std::vector<q_volt> volts(std::initializer_list<double> v) {
  std::vector<q_volt> out;
  for (const double x : v) out.push_back(q_volt::from_double(x));
  return out;
}

TEST(Crossbar, CellVoltageIsRowMinusColumnSaturated) {
  EXPECT_EQ(cell_voltage(q_volt::from_raw(1000), q_volt::from_raw(-300)).raw(), 1300);
  EXPECT_EQ(cell_voltage(q_volt::max(), q_volt::min()).raw(), INT16_MAX);
  EXPECT_EQ(cell_voltage(q_volt::min(), q_volt::max()).raw(), INT16_MIN);
  EXPECT_TRUE(cell_steps(q_volt::from_raw(-1), false));
  EXPECT_FALSE(cell_steps(q_volt::zero(), false));
  EXPECT_TRUE(cell_steps(q_volt::zero(), true));
}

TEST(Crossbar, WriteStepsEachDeviceAsAlone) {
  const table_view t = smooth_table().view();
  crossbar x(3, 4, 11, variation_params::from_si(0.05, 1e-6), q_state::from_double(0.3));
  crossbar ref = x;
  const auto v_row = volts({2.0, 0.0, -15.9}), v_col = volts({0.0, 1.0, 15.9, -0.5});
  for (int n = 0; n < 50; ++n) {
    x.write(t, v_row.data(), v_col.data(), false);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) {
        const q_volt v = cell_voltage(v_row[static_cast<std::size_t>(r)], v_col[static_cast<std::size_t>(c)]);
        if (v.raw() != 0) step(t, ref.at(r, c), v);
      }
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      EXPECT_EQ(x.at(r, c).state, ref.at(r, c).state) << r << "," << c;
      EXPECT_EQ(x.at(r, c).fluct, ref.at(r, c).fluct) << r << "," << c;
      EXPECT_EQ(x.at(r, c).rng, ref.at(r, c).rng) << r << "," << c;
    }
  // Device (1, 0) saw 0 V: untouched, generator included.
  EXPECT_EQ(x.at(1, 0).state, q_state::from_double(0.3));
  EXPECT_EQ(x.at(1, 0).rng, crossbar(3, 4, 11, variation_params::from_si(0.05, 1e-6)).at(1, 0).rng);
  // Relaxation steps it too.
  x.write(t, v_row.data(), v_col.data(), true);
  EXPECT_NE(x.at(1, 0).state, q_state::from_double(0.3));
}

TEST(Crossbar, ColumnByColumnEqualsWholeArray) {
  const table_view t = smooth_table().view();
  crossbar a(4, 5, 3, variation_params::from_si(0.05, 1e-6), q_state::from_double(0.5));
  crossbar b = a;
  const auto v_row = volts({1.0, -2.0, 0.0, 4.0}), v_col = volts({0.5, 0.0, -1.0, 2.0, 0.0});
  for (int n = 0; n < 20; ++n) {
    a.write(t, v_row.data(), v_col.data(), n % 3 == 0);
    for (int c = 0; c < 5; ++c) b.write_cols(t, v_row.data(), v_col.data(), n % 3 == 0, c, c + 1);
  }
  std::vector<q_current> ia(5), ib(5);
  a.read(t, v_row.data(), ia.data());
  for (int c = 4; c >= 0; --c) b.read_cols(t, v_row.data(), ib.data(), c, c + 1);
  for (int c = 0; c < 5; ++c) EXPECT_EQ(ia[static_cast<std::size_t>(c)], ib[static_cast<std::size_t>(c)]);
  for (int k = 0; k < 20; ++k) EXPECT_EQ(a.data()[k].state, b.data()[k].state);
}

TEST(Crossbar, ReadIsTheExactSumAndChangesNothing) {
  const table_view t = smooth_table().view();
  crossbar x(3, 2, 5, variation_params::from_si(0.05, 1e-6), q_state::from_double(0.7));
  const crossbar before = x;
  const auto v_row = volts({0.2, -0.1, 16.0});
  const auto i_col = x.read(t, v_row);
  for (int c = 0; c < 2; ++c) {
    std::int64_t sum = 0;
    for (int r = 0; r < 3; ++r) sum += read_current(t, x.at(r, c), v_row[static_cast<std::size_t>(r)]).raw();
    EXPECT_EQ(i_col[static_cast<std::size_t>(c)].raw(), sum);
  }
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(x.data()[k].state, before.data()[k].state);
    EXPECT_EQ(x.data()[k].rng, before.data()[k].rng);
  }
}

TEST(Crossbar, FullScaleColumnSumDoesNotOverflow) {
  // The largest possible |I| per device, 2^17 of them: the bound of crossbar_max_rows.
  table t(table_grid::make(1, 15, 1));
  for (auto& g : t.g) g = q_cond::max();
  device d{};
  const std::int64_t one_device = read_current(t.view(), d, q_volt::min()).raw();
  EXPECT_EQ(one_device, std::int64_t{INT32_MAX} * INT16_MIN);
  std::int64_t sum = 0;
  for (int r = 0; r < crossbar_max_rows; ++r) sum += one_device;  // no overflow (UBSan would flag one)
  EXPECT_EQ(sum, one_device * crossbar_max_rows);
  EXPECT_LT(sum, 0);
}

TEST(Crossbar, HalfSelectPutsTheFullVoltageOnOneDeviceOnly) {
  for (const std::int16_t raw : {std::int16_t{-32768}, std::int16_t{-3}, std::int16_t{0}, std::int16_t{7}, std::int16_t{32767}}) {
    std::vector<q_volt> v_row(3), v_col(4);
    half_select(3, 4, 1, 2, q_volt::from_raw(raw), v_row.data(), v_col.data());
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) {
        const int v = cell_voltage(v_row[static_cast<std::size_t>(r)], v_col[static_cast<std::size_t>(c)]).raw();
        if (r == 1 && c == 2)
          EXPECT_EQ(v, raw);
        else if (r == 1 || c == 2)
          EXPECT_LE(2 * std::abs(v), std::abs(raw) + 1) << raw;
        else
          EXPECT_EQ(v, 0);
      }
  }
}

}  // namespace
