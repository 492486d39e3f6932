// ionrail::model_io on its own (it links nothing but the model and the
// standard library): a table built in code from arrays, written in every
// format and read back bit for bit; bad arrays and records refused.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <ionrail/model_io/table_files.hpp>

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

model::table_grid small_grid() { return model::table_grid::make(3, 11, 2); }  // 9 states x 5 voltages

struct arrays {
  std::vector<double> drift, noise, fluct, g;
};

arrays smooth(const model::table_grid& grid) {
  arrays a;
  for (int i = 0; i < grid.n_s; ++i) {
    for (int j = 0; j < grid.n_v; ++j) {
      const double s = grid.s_at(i), v = grid.v_at(j);
      a.drift.push_back(0.01 * v * (1 - s));
      a.noise.push_back(1e-3 * (1 + std::fabs(v)));
      a.fluct.push_back(2e-3);
    }
    a.g.push_back(1e-6 + 1e-4 * grid.s_at(i));
  }
  return a;
}

TEST(ModelIo, TableFromArraysRoundsEachValueToItsFormat) {
  const auto grid = small_grid();
  const arrays a = smooth(grid);
  const model::table t = model_io::table_from_arrays(grid, a.drift, a.noise, a.fluct, a.g, 0.8);
  ASSERT_EQ(t.check(), model::table_status::ok);
  for (int i = 0; i < grid.n_s; ++i)
    for (int j = 0; j < grid.n_v; ++j) {
      const auto k = t.index(i, j);
      EXPECT_EQ(t.drift[k].raw(), model::q_delta::from_double(a.drift[k]).raw());
      EXPECT_EQ(t.noise[k].raw(), model::q_delta::from_double(a.noise[k]).raw());
    }
  // Conductance in siemens, stored in microsiemens (Q11.20): within half an LSB.
  EXPECT_NEAR(t.g[4].to_double() * model::cond_unit_siemens, a.g[4], 0.5 * model::q_cond::lsb * model::cond_unit_siemens);
  EXPECT_NEAR(t.fluct_rho.to_double(), 0.8, model::q_coeff::lsb);
}

TEST(ModelIo, EveryFormatReadsBackTheSameBits) {
  const auto grid = small_grid();
  const arrays a = smooth(grid);
  const model::table t = model_io::table_from_arrays(grid, a.drift, a.noise, a.fluct, a.g, 0.5);
  const fs::path dir = fs::path(::testing::TempDir()) / "ionrail_model_io_roundtrip";
  fs::remove_all(dir);
  model_io::table_record record;
  record.json_members = {{"source", "{\"note\": \"built in code\", \"dt_m_s\": 0.05}"}};
  model_io::write_table(dir.string(), t, record);
  for (const auto format : {model_io::table_format::csv, model_io::table_format::hex, model_io::table_format::header}) {
    SCOPED_TRACE(model_io::to_string(format));
    const model::table back = model_io::load_table(dir.string(), format);
    EXPECT_EQ(back.checksum(), t.checksum());
    EXPECT_EQ(back.fluct_rho.raw(), t.fluct_rho.raw());
    EXPECT_EQ(back.fluct_kick.raw(), t.fluct_kick.raw());
  }
  EXPECT_DOUBLE_EQ(model_io::table_metadata(dir.string(), "dt_m_s"), 0.05);
  // Nothing but the files of the table is left behind (no temporary files).
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, 9);  // csv, h, vh, json and five hex files
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ModelIo, BadArraysAndRecordsAreRefused) {
  const auto grid = small_grid();
  arrays a = smooth(grid);
  auto make = [&](const arrays& x, double rho) {
    return refusal([&] { (void)model_io::table_from_arrays(grid, x.drift, x.noise, x.fluct, x.g, rho); });
  };
  arrays short_drift = a;
  short_drift.drift.pop_back();
  EXPECT_NE(make(short_drift, 0.5).find("drift has 44 values, the grid needs 45"), std::string::npos);
  arrays nan_noise = a;
  nan_noise.noise[3] = std::nan("");
  EXPECT_NE(make(nan_noise, 0.5).find("noise[3] = nan"), std::string::npos);
  arrays negative_g = a;
  negative_g.g[0] = -1e-6;
  EXPECT_NE(make(negative_g, 0.5).find("g_siemens[0]"), std::string::npos);
  EXPECT_NE(make(a, 1.5).find("fluct_rho = 1.5"), std::string::npos);
  // Past the fixed-point formats (Q1.30 per step, Q11.20 µS): refused, not saturated.
  arrays big_drift = a;
  big_drift.drift[2] = -5;
  EXPECT_NE(make(big_drift, 0.5).find("drift[2] = -5: expected a finite number in [-2, 2]"), std::string::npos)
      << make(big_drift, 0.5);
  arrays big_g = a;
  big_g.g[1] = 0.01;
  EXPECT_NE(make(big_g, 0.5).find("g_siemens[1] = 0.01: expected a finite number in [0, 0.00"), std::string::npos)
      << make(big_g, 0.5);
  EXPECT_NE(refusal([&] { (void)model_io::table_from_arrays(model::table_grid{}, a.drift, a.noise, a.fluct, a.g, 0.5); })
                .find("grid"),
            std::string::npos);

  const model::table t = model_io::table_from_arrays(grid, a.drift, a.noise, a.fluct, a.g, 0.5);
  const std::string dir = (fs::path(::testing::TempDir()) / "ionrail_model_io_bad_record").string();
  model_io::table_record own;
  own.json_members = {{"checksum", "\"0\""}};
  EXPECT_NE(refusal([&] { model_io::write_table(dir, t, own); }).find("writes itself"), std::string::npos);
  model_io::table_record sizes;
  sizes.samples = {1, 2, 3};
  EXPECT_NE(refusal([&] { model_io::write_table(dir, t, sizes); }).find("samples has 3 values"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "table.json"));
}

TEST(ModelIo, JsonQuoteEscapesWhatJsonNeeds) {
  EXPECT_EQ(model_io::json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(model_io::parse_table_format("h"), model_io::table_format::header);
  EXPECT_NE(refusal([] { (void)model_io::parse_table_format("xml"); }).find("expected csv, header or hex"), std::string::npos);
}

}  // namespace
