// Response tables on disk: every format round-trips to the identical table
// (and so identical model behaviour), and a wrong version, grid, size or a
// corrupted entry is refused with a message naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <ionrail/calibration/table_build.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/step.hpp>

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

// Synthetic transitions: drift pulls s towards 0.25 + 0.02 V; lagged noise
// variance 1e-6 per step over a lag of L = 20 steps; fluctuation variance
// 4e-6 with ρ = 0.8; every bin of s <= 0.5 and |V| <= 4 visited, the rest
// left to the fill rule.
constexpr double synthetic_noise_var = 1e-6, synthetic_fluct_var = 4e-6, synthetic_rho = 0.8;
constexpr int synthetic_lag = 20;
calibration::transition_bins synthetic_bins() {
  calibration::transition_bins b(5, 0.5, 6.0, synthetic_lag);
  for (int j = 0; j < b.n_v; ++j) b.add_lag1(b.v0 + j * b.dv, synthetic_rho * 10.0, 10.0, 1000);
  for (int i = 0; i < b.n_s; ++i)
    for (int j = 0; j < b.n_v; ++j) {
      const double s = i * b.ds, v = b.v0 + j * b.dv;
      if (s > 0.5 || std::fabs(v) > 4) continue;
      for (int n = 0; n < 10; ++n) {
        b.add(s, v, 0.05 * (0.25 + 0.02 * v - s));
        b.add_noise(s, v, synthetic_noise_var);
        b.add_fluct(s, v, synthetic_fluct_var);
      }
    }
  return b;
}

fs::path written_table(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("ionrail_table_" + name);
  fs::remove_all(dir);
  kmc::readout_params ro;
  const auto built = calibration::build_table(synthetic_bins(), ro, 0.25, 4e-5);
  calibration::write_table(dir.string(), built, "{\"dt_m_s\": 0.05}");
  return dir;
}

TEST(TableIo, EveryFormatLoadsTheIdenticalTable) {
  const auto dir = written_table("roundtrip");
  const auto csv = model_io::load_table(dir.string(), model_io::table_format::csv);
  const auto hex = model_io::load_table(dir.string(), model_io::table_format::hex);
  const auto header = model_io::load_table(dir.string(), model_io::table_format::header);
  EXPECT_EQ(csv.checksum(), hex.checksum());
  EXPECT_EQ(csv.checksum(), header.checksum());
  ASSERT_EQ(csv.drift.size(), hex.drift.size());
  for (std::size_t k = 0; k < csv.drift.size(); ++k) {
    EXPECT_EQ(csv.drift[k].raw(), hex.drift[k].raw());
    EXPECT_EQ(csv.noise[k].raw(), header.noise[k].raw());
    EXPECT_EQ(csv.fluct[k].raw(), hex.fluct[k].raw());
    EXPECT_EQ(csv.fluct[k].raw(), header.fluct[k].raw());
  }
  for (const auto* t : {&csv, &hex, &header}) {
    EXPECT_EQ(t->fluct_rho, model::q_coeff::from_double(synthetic_rho));
    const double rho = t->fluct_rho.to_double();  // κ is made from the stored ρ
    EXPECT_EQ(t->fluct_kick, model::q_coeff::from_double(std::sqrt(1 - rho * rho)));
  }
  // Identical behaviour: the same device stepped through the same voltages.
  auto a = model::make_device(3, model::variation_params::none(), model::q_state::from_double(0.3));
  auto b = a;
  for (int k = 0; k < 1000; ++k) {
    const auto v = model::q_volt::from_double(4.0 * std::sin(0.01 * k));
    model::step(csv.view(), a, v);
    model::step(header.view(), b, v);
  }
  EXPECT_EQ(a.state.raw(), b.state.raw());
  EXPECT_EQ(a.fluct.raw(), b.fluct.raw());
}

// The noise rule: the fluctuation is the square root of the mean
// cross-device variance; the slow noise is the lagged variance per step less
// the fluctuation's share 2 σ² (1 − ρ^L) / L, never below zero.
TEST(TableIo, SlowNoiseIsTheLaggedVarianceLessTheFluctuationShare) {
  kmc::readout_params ro;
  const auto built = calibration::build_table(synthetic_bins(), ro, 0.25, 4e-5);
  const auto& t = built.table;
  const int j0 = (t.grid.n_v - 1) / 2;
  EXPECT_NEAR(built.fluct_rho, synthetic_rho, 1e-12);
  EXPECT_NEAR(t.fluct_at(4, j0).to_double(), std::sqrt(synthetic_fluct_var), model::q_delta::lsb);
  const double share = 2 * (1 - std::pow(synthetic_rho, synthetic_lag)) / synthetic_lag;
  EXPECT_NEAR(t.noise_at(4, j0).to_double(), std::sqrt(synthetic_noise_var - share * synthetic_fluct_var),
              model::q_delta::lsb);
  // A lagged variance below the fluctuation's share gives zero slow noise.
  auto bins = synthetic_bins();
  for (auto& x : bins.noise_sum) x *= 0.1;
  EXPECT_EQ(calibration::build_table(bins, ro, 0.25, 4e-5).table.noise_at(4, j0).raw(), 0);
}

// The drift's reversion correction (1 − ρ) Σ dev / n uses the ρ measured at
// the bin's own voltage: a column whose deviations do not revert (ρ = 1)
// keeps the plain mean change; a column with too few lag-one samples of its
// own takes the pooled ρ.
TEST(TableIo, DriftReversionUsesTheRhoOfItsOwnVoltage) {
  calibration::transition_bins b(5, 0.5, 2.0, 1);
  ASSERT_EQ(b.n_v, 9);
  const int j_zero = 4, j_pos = 6, j_thin = 2;  // 0 V, +1 V, −1 V
  for (int j = 0; j < b.n_v; ++j) b.add_lag1(b.v0 + j * b.dv, 0.5 * 100.0, 100.0, 1000);  // ρ = 0.5
  b.lag1_product[j_zero] = 100.0;               // 0 V: ρ = 1, no reversion
  b.lag1_product[j_pos] = 0.8 * 100.0;          // +1 V: ρ = 0.8
  b.lag1_count[j_thin] = 3;                     // −1 V: too few device-steps, pooled ρ
  for (int n = 0; n < 10; ++n)
    for (int j : {j_zero, j_pos, j_thin}) b.add(0.5, b.v0 + j * b.dv, 0.001, 0.02);
  const double pooled = b.fluct_rho();
  EXPECT_GT(pooled, 0.5);
  EXPECT_LT(pooled, 0.6);
  EXPECT_DOUBLE_EQ(b.fluct_rho_at(j_zero, 5), 1.0);
  EXPECT_DOUBLE_EQ(b.fluct_rho_at(j_pos, 5), 0.8);
  EXPECT_DOUBLE_EQ(b.fluct_rho_at(j_thin, 5), pooled);
  kmc::readout_params ro;
  const auto built = calibration::build_table(b, ro, 0.25, 4e-5);
  ASSERT_EQ(built.reversion_rho.size(), 9u);
  EXPECT_DOUBLE_EQ(built.reversion_rho[j_zero], 1.0);
  EXPECT_DOUBLE_EQ(built.reversion_rho[j_pos], 0.8);
  EXPECT_DOUBLE_EQ(built.reversion_rho[j_thin], pooled);
  EXPECT_DOUBLE_EQ(built.fluct_rho, pooled);  // the model's one ρ stays the pooled one
  const int i = 16;                           // s = 0.5
  const double lsb = model::q_delta::lsb;
  EXPECT_NEAR(built.table.drift_at(i, j_zero).to_double(), 0.001, lsb);
  EXPECT_NEAR(built.table.drift_at(i, j_pos).to_double(), 0.001 + 0.2 * 0.02, lsb);
  EXPECT_NEAR(built.table.drift_at(i, j_thin).to_double(), 0.001 + (1 - pooled) * 0.02, lsb);
}

// A step is binned only where the drive stays within half a voltage step
// over it: across a pulse edge it is neither voltage.
TEST(Calibration, VoltageSpanCoversTheCornersInsideAStep) {
  const kmc::piecewise_linear_voltage pulse({0.0, 1.0, 1.0 + 1e-9, 2.0, 2.0 + 1e-9, 5.0, 7.0},
                                            {0.0, 0.0, 6.0, 6.0, 0.0, 0.0, 2.0}, "a pulse and a ramp");
  EXPECT_DOUBLE_EQ(calibration::voltage_span(pulse, 0.0, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(calibration::voltage_span(pulse, 1.2, 1.7), 0.0);
  EXPECT_DOUBLE_EQ(calibration::voltage_span(pulse, 0.95, 1.05), 6.0);  // rising edge inside
  EXPECT_DOUBLE_EQ(calibration::voltage_span(pulse, 1.9, 2.1), 6.0);    // falling edge inside
  EXPECT_DOUBLE_EQ(calibration::voltage_span(pulse, 0.5, 3.0), 6.0);    // a whole pulse inside
  EXPECT_NEAR(calibration::voltage_span(pulse, 5.5, 5.55), 0.05, 1e-12);  // the ramp: 1 V/s
  EXPECT_NEAR(calibration::voltage_span(pulse, 4.9, 5.1), 0.1, 1e-12);
}

TEST(TableIo, UnvisitedBinsAreFilledAndFlagged) {
  kmc::readout_params ro;
  const auto built = calibration::build_table(synthetic_bins(), ro, 0.25, 4e-5);
  const auto& g = built.table.grid;
  int visited = 0;
  for (int v : built.visited) visited += v;
  EXPECT_GT(visited, 0);
  EXPECT_LT(visited, static_cast<int>(built.visited.size()));
  // s = 0.75 was never visited at V = 0: it takes the nearest visited state (0.5).
  const int j0 = (g.n_v - 1) / 2;
  EXPECT_EQ(built.table.drift_at(24, j0).raw(), built.table.drift_at(16, j0).raw());
  EXPECT_EQ(built.visited[built.table.index(24, j0)], 0);
  // V = 6 was never visited: it takes the nearest visited voltage column (4 V).
  EXPECT_EQ(built.table.drift_at(8, g.n_v - 1).raw(), built.table.drift_at(8, g.n_v - 5).raw());
  // No silent zeros: every drift at s > 0.5 equals a visited neighbour's, which is non-zero here.
  EXPECT_NE(built.table.drift_at(g.n_s - 1, j0).raw(), 0);
}

// Beyond the states visited at a voltage, the filled drift never points
// further out: a column visited only on its way up (positive drift at its
// highest visited state) gets zero drift above it, not a copy that would
// drive the model past anything the KMC did.
TEST(TableIo, FilledDriftNeverPointsOutOfTheVisitedStates) {
  calibration::transition_bins b(5, 0.5, 2.0);
  const int j = (b.n_v - 1) / 2 + 2;  // V = +1
  for (int i = 4; i <= 8; ++i)
    for (int n = 0; n < 10; ++n) b.add(i * b.ds, 1.0, i <= 6 ? 0.01 : -0.01);  // visited s in [4, 8] / 32
  for (int i = 10; i <= 12; ++i)
    for (int n = 0; n < 10; ++n) b.add(i * b.ds, -1.0, 0.02);  // V = -1 visited only while rising
  kmc::readout_params ro;
  const auto t = calibration::build_table(b, ro, 0.25, 1e-6).table;
  const int jm = (b.n_v - 1) / 2 - 2;  // V = -1
  const auto drift = [&](int i, int col) { return t.drift_at(i, col).to_double(); };
  EXPECT_NEAR(drift(2, j), 0.01, 1e-9);    // below the visited states: the inward (upward) drift is copied
  EXPECT_NEAR(drift(20, j), -0.01, 1e-9);  // above them: the inward (downward) drift is copied
  EXPECT_EQ(t.drift_at(20, jm).raw(), 0);  // above a column seen only rising: clipped to zero
  EXPECT_NEAR(drift(5, jm), 0.02, 1e-9);   // below it: the upward drift is copied
}

void rewrite(const fs::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  std::ofstream(file) << text;
}

void expect_refused(const fs::path& dir, model_io::table_format format, const std::string& fragment) {
  try {
    model_io::load_table(dir.string(), format);
    FAIL() << "loaded a bad table";
  } catch (const ionrail::input_error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(TableIo, BadTablesAreRefusedWithTheFileNamed) {
  {
    const auto dir = written_table("version");
    rewrite(dir / "table.json", "\"format_version\": 2", "\"format_version\": 7");
    expect_refused(dir, model_io::table_format::csv, "format_version = 7: this build reads version 2");
  }
  {
    const auto dir = written_table("corrupt");
    std::ifstream in(dir / "table.hex");
    std::string first;
    in >> first;
    in.close();
    rewrite(dir / "table.hex", first + "\n", "0badc0de\n");
    expect_refused(dir, model_io::table_format::hex, "table.hex: checksum");
    EXPECT_NO_THROW(model_io::load_table(dir.string(), model_io::table_format::csv));  // the other formats are intact
  }
  {
    const auto dir = written_table("truncated");
    std::ifstream in(dir / "table_noise.hex");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.resize(text.size() / 2);
    text.resize(text.rfind('\n') + 1);
    std::ofstream(dir / "table_noise.hex") << text;
    expect_refused(dir, model_io::table_format::hex, "table_noise.hex:");
  }
  {
    const auto dir = written_table("grid");
    rewrite(dir / "table.json", "\"n_v\": 25", "\"n_v\": 24");
    expect_refused(dir, model_io::table_format::csv, "grid");
  }
  {
    const auto dir = written_table("coefficient");
    std::ofstream(dir / "table_coeff.hex") << "7fffffff\n00000000\n";
    expect_refused(dir, model_io::table_format::hex, "table_coeff.hex: fluct_rho (word 0) = 2147483647 outside [0, 1073741824]");
  }
  {
    const auto dir = written_table("json_cut");
    std::ifstream in(dir / "table.json");
    std::stringstream ss;
    ss << in.rdbuf();
    in.close();
    std::ofstream(dir / "table.json") << ss.str().substr(0, ss.str().size() / 2);
    expect_refused(dir, model_io::table_format::hex, "table.json: not one whole JSON object (truncated");
  }
  {
    // A negative noise entry with every checksum made to match (a hand
    // edit, re-summed): the model's step assumes check_table; replay ran it.
    const auto dir = written_table("negative_noise");
    model::table t = model_io::load_table(dir.string(), model_io::table_format::hex);
    const std::uint64_t before = t.checksum();
    t.noise[5] = model::q_delta::from_raw(-256);
    std::ifstream in(dir / "table_noise.hex");
    std::stringstream ss;
    ss << in.rdbuf();
    in.close();
    std::string text = ss.str();
    std::size_t at = 0;
    for (int line = 0; line < 5; ++line) at = text.find('\n', at) + 1;
    text.replace(at, 8, "ffffff00");
    std::ofstream(dir / "table_noise.hex") << text;
    char old_sum[17], new_sum[17];
    std::snprintf(old_sum, sizeof old_sum, "%016llx", static_cast<unsigned long long>(before));
    std::snprintf(new_sum, sizeof new_sum, "%016llx", static_cast<unsigned long long>(t.checksum()));
    rewrite(dir / "table.json", old_sum, new_sum);
    expect_refused(dir, model_io::table_format::hex,
                   "noise table has a negative standard deviation: noise[5] = -2.384185791015625e-07 (i_s 0, i_v 5)");
  }
  expect_refused(fs::path(::testing::TempDir()) / "no_such_table", model_io::table_format::csv, "cannot open");
}

// No writer makes a table the commands would refuse: the metadata they read
// is checked where the record puts it (top level or nested), before a file
// is written.
TEST(TableIo, WriterRefusesMetadataOutOfItsRange) {
  kmc::readout_params ro;
  const auto built = calibration::build_table(synthetic_bins(), ro, 0.25, 4e-5);
  for (const auto& [record, says] :
       {std::pair<std::string, std::string>{"{\"dt_m_s\": 1e-300}", "dt_m_s = 1e-300: expected a model step in [1e-9, 1000] s"},
        {"{\"dt_m_s\": 0.05, \"s_eq\": 1.5}", "s_eq = 1.5: expected a state in [0, 1]"},
        {"{\"device_rails\": 2.5}", "device_rails = 2.5: expected a whole number"}}) {
    SCOPED_TRACE(record);
    const fs::path dir = fs::path(::testing::TempDir()) / "ionrail_table_bad_metadata";
    fs::remove_all(dir);
    try {
      calibration::write_table(dir.string(), built, record);
      ADD_FAILURE() << "written";
    } catch (const input_error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir));
  }
  EXPECT_NO_THROW(model_io::check_table_metadata("s_eq", 0.25, "here"));
  EXPECT_THROW(model_io::check_table_metadata("s_eq", std::nan(""), "here"), input_error);
  EXPECT_THROW(model_io::check_table_metadata("no_such_key", 1, "here"), input_error);
  EXPECT_EQ(model_io::table_metadata_keys().size(), 5u);
}

TEST(Calibration, RandomProtocolsAreReproducibleAndSpanTheRange) {
  calibration::calibration_params c;
  c.duration_s = 300;
  c.v_max_v = 6;
  const auto a = calibration::random_protocol(c, 0), b = calibration::random_protocol(c, 0), other = calibration::random_protocol(c, 1);
  EXPECT_EQ(a->times_s(), b->times_s());
  EXPECT_EQ(a->volts(), b->volts());
  EXPECT_NE(a->volts(), other->volts());
  EXPECT_GE(a->end_time_s(), 300.0);
  double lo = 0, hi = 0;
  for (double v : a->volts()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_LE(hi, 6.0);
  EXPECT_GE(lo, -6.0);
  EXPECT_GT(hi - lo, 6.0);  // both polarities, a wide spread
}

TEST(Calibration, EnsembleDevicesAreIndependentClassesOfEqualSize) {
  kmc::device_params material;
  const auto d = calibration::ensemble_device(material, 8, 50);
  EXPECT_EQ(d.rails, 400);
  EXPECT_TRUE(d.field_per_class);
  ASSERT_EQ(d.classes.size(), 8u);
  kmc::engine e(d, kmc::sim_params{}, std::make_shared<kmc::constant_voltage>(0.0));
  const auto s = calibration::device_states(e, 8);
  ASSERT_EQ(s.size(), 8u);
  double mean = 0;
  for (double x : s) mean += x / 8;
  EXPECT_NEAR(mean, e.take_sample().state, 1e-12);  // equal sizes: the mean of devices is the whole
}

}  // namespace

namespace {

TEST(Calibration, CheckpointedRunsResumeToTheSameBits) {
  // Two short runs with a checkpoint directory; then one run's file is
  // removed (as if interrupted before it finished) and the calibration is
  // collected again: the saved run is loaded, the missing one recomputed,
  // and the merged bins are identical bit for bit.
  ionrail::kmc::device_params material;
  material.sites = 20;
  material.thickness_nm = 20;
  material.zones = 4;
  ionrail::calibration::calibration_params c;
  c.devices = 4;
  c.device_rails = 20;
  c.runs = 2;
  c.duration_s = 2.0;
  c.dt_m_s = 0.05;
  c.v_max_v = 2.0;
  c.noise_lag_s = 0.2;
  const fs::path dir = fs::path(::testing::TempDir()) / "ionrail_checkpoint";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto first = ionrail::calibration::collect_transitions(material, ionrail::kmc::sim_params{}, c, true, dir.string());
  ASSERT_TRUE(fs::exists(dir / "run_0.bins"));
  ASSERT_TRUE(fs::exists(dir / "run_1.bins"));
  fs::remove(dir / "run_1.bins");
  const auto resumed = ionrail::calibration::collect_transitions(material, ionrail::kmc::sim_params{}, c, true, dir.string());
  EXPECT_EQ(first.count, resumed.count);
  EXPECT_EQ(first.sum, resumed.sum);
  EXPECT_EQ(first.noise_sum, resumed.noise_sum);
  EXPECT_EQ(first.fluct_sum, resumed.fluct_sum);
  EXPECT_EQ(first.lag1_product, resumed.lag1_product);
  EXPECT_EQ(first.lag1_square, resumed.lag1_square);
  EXPECT_EQ(first.lag1_count, resumed.lag1_count);
  EXPECT_GT(first.fluct_rho(), 0.0);
  EXPECT_LT(first.fluct_rho(), 1.0);
  // Every step held within half a voltage step is binned, once per device;
  // a step across an edge of the protocol is not.
  long long total = 0, lag1 = 0, held = 0, steps = 0;
  for (long long n : first.count) total += n;
  for (long long n : first.lag1_count) lag1 += n;
  for (int run = 0; run < c.runs; ++run) {
    const auto protocol = ionrail::calibration::random_protocol(c, static_cast<std::uint64_t>(run));
    for (int k = 1; k <= 40; ++k, ++steps)
      held += ionrail::calibration::voltage_span(*protocol, (k - 1) * c.dt_m_s, k * c.dt_m_s) <= 0.5 * c.v_step_v;
  }
  EXPECT_EQ(steps, 2 * 40);
  EXPECT_GT(held, 0);
  EXPECT_LT(held, steps);  // these protocols do switch inside steps
  EXPECT_EQ(total, 4 * held);  // devices × held steps
  EXPECT_EQ(lag1, 4 * held);
  // A truncated checkpoint is refused, not silently used.
  std::ofstream(dir / "run_0.bins") << "ionrail-bins 1 65";
  EXPECT_THROW(ionrail::calibration::collect_transitions(material, ionrail::kmc::sim_params{}, c, true, dir.string()),
               std::runtime_error);
}

}  // namespace
