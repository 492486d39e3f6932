// A response table built from measured pulse trains
// (calibration/pulse_table.hpp, `ionrail calibrate` on [measured_table]):
// the train reader's refusals (file:line, what was expected); the estimator
// against an exactly known device (drift per amplitude, read noise, rest
// state, held-out NRMSE); and the command: exit 2 and nothing written on bad
// input, the table written and loadable, the shipped example within its bar
// and into `ionrail crossbar`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ionrail/calibration/pulse_table.hpp>
#include <ionrail/model_io/table_files.hpp>

#include "cli_run.hpp"
#include "spawn.hpp"
#include "refusal.hpp"

namespace {

namespace fs = std::filesystem;
using ionrail::input_error;
using namespace ionrail::calibration;
using ionrail_test::scratch_dir;
using ionrail_test::write_file;

using ionrail_test::has;
using ionrail_test::refusal;

// ---------------------------------------------------------------- the reader

TEST(PulseTrain, ReadsPulsesAndRetentionReads) {
  const fs::path d = scratch_dir("pulse_read");
  const auto f = write_file(d / "t.csv", "# a train\nt_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,1.2e-5\n1.1,0,0,1.1e-5\n");
  pulse_table_params p;
  const pulse_train t = read_pulse_train(f, {f, "t", false}, p);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[1].v_v, 4.0);
  EXPECT_EQ(t.rows[1].line, 4u);
  const row_steps s1 = steps_of(t, 1, p.dt_m_s), s2 = steps_of(t, 2, p.dt_m_s);
  EXPECT_EQ(s1.pulse, 1);
  EXPECT_EQ(s1.rest, 1);
  EXPECT_EQ(s2.pulse, 0);
  EXPECT_EQ(s2.rest, 20);
  EXPECT_EQ(train_steps(t, p.dt_m_s), 22.0);
  // A retention trace: no pulse columns at all.
  const auto r = write_file(d / "r.csv", "g_s,t_s\n1e-5,0\n1e-5,1\n");
  EXPECT_EQ(read_pulse_train(r, {r, "r", false}, p).rows.size(), 2u);
}

TEST(PulseTrain, BadInputNamesFileLineAndWhatWasExpected) {
  const fs::path d = scratch_dir("pulse_bad");
  struct bad_case {
    const char* name;
    std::string csv;
    std::string where;
    std::string expected;
  };
  const std::string head = "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n";
  const std::vector<bad_case> cases{
      {"columns", head + "0.1,4,0.05\n", ":3:", "3 columns: expected 4"},
      {"time", head + "0.1,4,0.05,1e-5\n0.05,4,0.05,1e-5\n", ":4:", "strictly increasing"},
      {"negative_time", "t_s,g_s\n-1,1e-5\n", ":2:", "expected >= 0"},
      {"units", "t,v,w,g\n0,0,0,1e-5\n", ":1:", "no known name with its unit"},
      {"nan", head + "0.1,4,0.05,nan\n", ":3:", "expected a finite number"},
      {"zero_rows", "t_s,v_v,width_s,g_s\n", ":1:", "zero data rows"},
      {"empty", "", ":1:", "empty file"},
      {"no_g", "t_s,v_v,width_s\n0,0,0\n", ":1:", "no g_s column"},
      {"v_without_width", "t_s,v_v,g_s\n0,0,1e-5\n", ":1:", "v_v without width_s"},
      {"first_pulse", "t_s,v_v,width_s,g_s\n0.1,4,0.05,1e-5\n", ":2:", "on the first row: expected 0"},
      {"pulse_at_zero", head + "0.1,0,0.05,1e-5\n", ":3:", "with v_v = 0"},
      {"volts_no_width", head + "0.1,4,0,1e-5\n", ":3:", "with width_s = 0"},
      {"too_long", head + "0.1,4,0.2,1e-5\n", ":3:", "longer than the time since the previous read"},
      {"not_whole_steps", head + "0.1,4,0.03,1e-5\n", ":3:", "whole number of model steps"},
      {"beyond_v_max", head + "0.1,12,0.05,1e-5\n", ":3:", "measured_table.v_max_v = 10"},
      {"negative_width", head + "0.1,4,-0.05,1e-5\n", ":3:", "expected >= 0"},
      {"not_siemens", head + "0.1,4,0.05,12\n", ":3:", "|g_s| <= 2e-3 S"},
      {"tiny_amplitude", head + "0.1,0.0004,0.05,1e-5\n", ":3:", "|v_v| >= 0.001 V"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string f = write_file(d / (std::string(c.name) + ".csv"), c.csv);
    const std::string msg = refusal([&] { read_pulse_train(f, {f, c.name, false}, pulse_table_params{}); });
    EXPECT_TRUE(has(msg, f + c.where)) << msg;
    EXPECT_TRUE(has(msg, c.expected)) << msg;
  }
  // A held-out train needs a read after its first.
  const std::string one = write_file(d / "one.csv", "t_s,g_s\n0,1e-5\n");
  EXPECT_TRUE(has(refusal([&] { read_pulse_train(one, {one, "one", true}, pulse_table_params{}); }),
                  one + ":2: a held-out train of one read"));
  EXPECT_NO_THROW(read_pulse_train(one, {one, "one", false}, pulse_table_params{}));
}

// ---------------------------------------------------------------- a known device

// A device whose response is known exactly, stepped as the compact model
// steps (one Euler step per dt_m): under a pulse of V > 0 the state x moves
// by k(V)(1 - x), under V < 0 by -k(|V|) x, with k(V) = a sinh(V / V0) (k(4)
// = 0.01, k(8) = 0.1 per step); at rest it relaxes toward 0.3 at 0.2 % per
// step; cycle-to-cycle noise 0.004 per pulse step, 0.0005 per rest step;
// G = 5 µS + 20 µS x, read with N(0, 0.3 µS) noise.
struct known_device {
  static constexpr double v0 = 1.7450, a = 0.01 / 4.8990;  // sinh(4 / v0) = 4.899
  static constexpr double g0 = 5e-6, g1 = 20e-6, read_sigma = 0.3e-6;
  static constexpr double pulse_noise = 0.004, rest_noise = 0.0005, rest_rate = 0.002, rest_state = 0.3;
  static double k(double v) { return a * std::sinh(std::fabs(v) / v0); }
  static double drift(double x, double v) {
    if (v > 0) return k(v) * (1 - x);
    if (v < 0) return -k(v) * x;
    return -rest_rate * (x - rest_state);
  }
  double x = 0.3;
  std::mt19937_64 rng;
  std::normal_distribution<double> z{0.0, 1.0};
  explicit known_device(std::uint64_t seed) : rng(seed) {}
  void step(double v) {
    x += drift(x, v) + (v != 0 ? pulse_noise : rest_noise) * z(rng);
    x = std::clamp(x, 0.0, 1.0);
  }
  double read() { return g0 + g1 * x + read_sigma * z(rng); }
};

// A train of blocks: 12 pulses of -8 V (to the low end), a random number of
// +8 V pulses (a spread of start states), then 30 pulses of random sign at
// one of `levels`; each pulse one 50 ms step, read 50 ms later; a 20 s
// retention trace read every second after every third block.
std::string train_csv(known_device& dev, const std::vector<double>& levels, int blocks, std::uint64_t seed) {
  std::mt19937_64 pick(seed);
  std::ostringstream out;
  out.precision(12);
  out << "t_s,v_v,width_s,g_s\n";
  double t = 0;
  out << t << ",0,0," << dev.read() << "\n";
  auto pulse = [&](double v) {
    dev.step(v);
    dev.step(0);
    t += 0.1;
    out << t << "," << v << ",0.05," << dev.read() << "\n";
  };
  for (int b = 0; b < blocks; ++b) {
    for (int k = 0; k < 12; ++k) pulse(-8);
    const int up = static_cast<int>(pick() % 26);
    for (int k = 0; k < up; ++k) pulse(8);
    for (int k = 0; k < 30; ++k) {
      const double level = levels[pick() % levels.size()];
      pulse(pick() % 2 ? level : -level);
    }
    if (b % 3 == 2)
      for (int k = 0; k < 20; ++k) {
        for (int s = 0; s < 20; ++s) dev.step(0);
        t += 1.0;
        out << t << ",0,0," << dev.read() << "\n";
      }
  }
  return out.str();
}

struct known_data {
  fs::path dir;
  std::vector<pulse_train> trains;
  pulse_table_params p;
};

known_data make_known_data(const std::string& name, std::uint64_t base = 0) {
  known_data k;
  k.dir = scratch_dir(name);
  std::uint64_t seed = 11 + 100 * base;
  for (double amp : {4.0, 6.0, 8.0}) {
    known_device dev(seed);
    const std::string f = write_file(k.dir / ("train_" + std::to_string(static_cast<int>(amp)) + "V.csv"),
                                     train_csv(dev, {amp}, 30, seed + 1000));
    k.p.trains.push_back({f, f, false});
    seed += 1;
  }
  known_device dev(99 + 100 * base);
  const std::string f = write_file(k.dir / "heldout.csv", train_csv(dev, {4, 5, 6, 7, 8}, 12, 4242 + base));
  k.p.trains.push_back({f, "heldout", true});
  for (const auto& s : k.p.trains) k.trains.push_back(read_pulse_train(s.file, s, k.p));
  return k;
}

// The estimator against the known device. Statistics: the drift of a node
// estimated from w independent intervals has a standard error of
// sqrt(N² + 2 σ_r²) / sqrt(w) (N the pulse noise, σ_r the read noise, in
// state units); every node with w >= 20 whose true state is within
// [0.1, 0.9] (away from the clamp at the ends) must be within 4.5 of them
// (some 80 nodes: a false failure has probability ~ 1e-4). The bound is
// conservative: consecutive intervals at one node share reads, whose errors
// then cancel in their sum (measured: worst |z| 1.2 with the Euler
// correction of build_pulse_table, 2.1 without it). The
// read noise within 10 % (~2500 pairs: a standard error of ~2 %), and the
// held-out train (amplitudes 5 and 7 V never in a build train) within the
// fidelity bar, NRMSE <= 5 %, with 80-100 % of its reads in the model's ±2 sd.
TEST(PulseTableBuild, RecoversAKnownDevice) {
  const known_data k = make_known_data("pulse_known");
  const pulse_table_build b = build_pulse_table(k.trains, k.p);
  const double range = b.g_hi_s - b.g_lo_s;
  const double read_sigma_s = b.read_sigma * range;
  EXPECT_NEAR(read_sigma_s, known_device::read_sigma, 0.1 * known_device::read_sigma) << b.read_pairs << " pairs";
  ASSERT_EQ(b.amplitudes.size(), 7u);  // rest, -8, -6, -4, +4, +6, +8
  int checked = 0;
  double worst = 0;
  for (const auto& a : b.amplitudes) {
    if (a.v == 0) continue;
    const std::size_t ns = a.drift.size();
    for (std::size_t i = 0; i < ns; ++i) {
      const double s = static_cast<double>(i) / static_cast<double>(ns - 1);
      const double g = b.g_lo_s + range * s;
      const double x = (g - known_device::g0) / known_device::g1;
      if (a.weight[i] < 20 || x < 0.1 || x > 0.9) continue;
      const double est = a.drift[i] * range;                      // siemens per step
      const double truth = known_device::drift(x, a.v) * known_device::g1;
      const double se_state = std::sqrt(known_device::pulse_noise * known_device::pulse_noise +
                                        2 * std::pow(known_device::read_sigma / range, 2)) / std::sqrt(a.weight[i]);
      const double z = (est - truth) / (se_state * range);
      worst = std::max(worst, std::fabs(z));
      EXPECT_LE(std::fabs(z), 4.5) << a.v << " V at x = " << x << ": " << est << " vs " << truth << " S/step";
      ++checked;
    }
  }
  EXPECT_GE(checked, 40);
  // The rest state: the device relaxes toward x = 0.3.
  const double x_eq = (b.g_lo_s + range * b.s_eq - known_device::g0) / known_device::g1;
  EXPECT_NEAR(x_eq, known_device::rest_state, 0.05) << b.s_eq_rule;
  // The table's own drift is the fixed-point rounding of these.
  const auto& t = b.table;
  EXPECT_EQ(t.check(), ionrail::model::table_status::ok);
  const pulse_replay r = replay_pulse_train(b, k.trains.back(), k.p);
  EXPECT_LE(r.nrmse, 0.05);
  EXPECT_GE(r.band_coverage, 0.8);
  EXPECT_LE(r.band_coverage, 1.0);
  std::cout << "known device: worst |z| " << worst << " over " << checked << " nodes; read noise " << read_sigma_s
            << " S (true " << known_device::read_sigma << "); held-out NRMSE " << r.nrmse << ", within 2 sd "
            << r.band_coverage << "\n";
  // One glitched read (2 mS, a hundred times the device's range) in the
  // held-out train: the NRMSE must rise, not fall. Divided by the raw
  // range it fell, passing trains the model does not follow.
  pulse_train glitched = k.trains.back();
  ASSERT_GT(glitched.rows.size(), 10u);
  glitched.rows[glitched.rows.size() / 2].g_s = 2e-3;
  const pulse_replay g = replay_pulse_train(b, glitched, k.p);
  EXPECT_GT(g.nrmse, r.nrmse);
  EXPECT_GT(g.nrmse, 0.05);
}

// The same over ten independent data sets (seeds): the held-out NRMSE
// within the bar in every one; the read noise's mean over the ten within
// 5 % (each has a standard error of ~2 %, the mean's ~0.6 %; measured -2.0 %:
// the estimator is biased low by about that, the drifts being fitted to the
// same intervals whose residuals it uses); the share of held-out reads
// within the model's ±2 sd near 95 % on average (0.88-0.99: the
// cycle-to-cycle and read noise both about right; measured 0.963).
TEST(PulseTableBuild, TenDataSetsOfTheKnownDevice) {
  double read_sum = 0, band_sum = 0, worst_nrmse = 0;
  const int sets = 10;
  for (int k = 0; k < sets; ++k) {
    SCOPED_TRACE(k);
    const known_data d = make_known_data("pulse_known_sets", static_cast<std::uint64_t>(k + 1));
    const pulse_table_build b = build_pulse_table(d.trains, d.p);
    const pulse_replay r = replay_pulse_train(b, d.trains.back(), d.p);
    EXPECT_LE(r.nrmse, 0.05);
    worst_nrmse = std::max(worst_nrmse, r.nrmse);
    read_sum += b.read_sigma * (b.g_hi_s - b.g_lo_s) / sets;
    band_sum += r.band_coverage / sets;
  }
  EXPECT_NEAR(read_sum, known_device::read_sigma, 0.05 * known_device::read_sigma);
  EXPECT_GE(band_sum, 0.88);
  EXPECT_LE(band_sum, 0.99);
  std::cout << "ten data sets: worst held-out NRMSE " << worst_nrmse << ", mean read noise " << read_sum
            << " S (true " << known_device::read_sigma << "), mean share within 2 sd " << band_sum << "\n";
}

// Two amplitudes 1 mV apart whose drifts differ tenfold put V_e at ~0.4 mV,
// where sinh(V / V_e) overflows a double: the table is still finite.
TEST(PulseTableBuild, SteepAmplitudeRatioStaysFinite) {
  pulse_table_params p;
  p.min_samples = 1;
  p.v_max_v = 15.5;
  pulse_train t;
  t.rows.push_back({0, 0, 0, 1e-5, 2});
  double g = 1e-5, time = 0;
  for (int k = 0; k < 400; ++k) {
    const bool low = k % 2 == 0;
    g += low ? 1e-9 : 1e-8;
    time += 0.1;
    t.rows.push_back({time, low ? 15.0 : 15.001, 0.05, g, static_cast<std::uint32_t>(k + 3)});
  }
  const pulse_table_build b = build_pulse_table({t}, p);
  EXPECT_GT(b.sinh_scale_pos_v, 0.0);
  EXPECT_LT(b.sinh_scale_pos_v, 1e-3);
  EXPECT_EQ(b.table.check(), ionrail::model::table_status::ok);
}

TEST(PulseTableBuild, RefusesTrainsWithoutRangeOrPulses) {
  const fs::path d = scratch_dir("pulse_degenerate");
  pulse_table_params p;
  const auto flat = write_file(d / "flat.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,1e-5\n");
  const pulse_train t = read_pulse_train(flat, {flat, "flat", false}, p);
  EXPECT_TRUE(has(refusal([&] { build_pulse_table({t}, p); }), "no range of conductance"));
  const auto rest = write_file(d / "rest.csv", "t_s,g_s\n0,1e-5\n1,2e-5\n");
  const pulse_train r = read_pulse_train(rest, {rest, "rest", false}, p);
  EXPECT_TRUE(has(refusal([&] { build_pulse_table({r}, p); }), "no pulse"));
  pulse_train held = t;
  held.held_out = true;
  EXPECT_TRUE(has(refusal([&] { build_pulse_table({held}, p); }), "no train to build the table from"));
}

// ---------------------------------------------------------------- the command

std::string measured_file(const fs::path& dir, const std::string& trains) {
  return write_file(dir / "m.toml", "[measured_table]\ndt_m_s = 0.05\n" + trains);
}

// A train named both to build and as held out is not held out: said.
TEST(MeasuredTableCommand, WarnsWhenAHeldOutTrainAlsoBuilds) {
  const fs::path d = scratch_dir("pulse_cli_reused");
  write_file(d / "good.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,1.2e-5\n0.2,-4,0.05,1.1e-5\n");
  // The same file, and a copy of it under another name: no more held out.
  fs::copy_file(d / "good.csv", d / "copy.csv", fs::copy_options::overwrite_existing);
  for (const std::string held : {"good.csv", "copy.csv"}) {
    SCOPED_TRACE(held);
    const std::string path = write_file(d / "m.toml", "[measured_table]\ndt_m_s = 0.05\nmin_samples = 1\n"
                                                      "[[measured_table.train]]\nfile = \"good.csv\"\n"
                                                      "[[measured_table.train]]\nfile = \"" + held + "\"\nheld_out = true\n");
    const auto r = ionrail_test::run_cli("calibrate " + path + " --out " + (d / ("out_" + held)).string() + " --quiet");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(has(r.output, held + " is both a build train and held out")) << r.output;
  }
}

TEST(MeasuredTableCommand, ExitsTwoAndWritesNothingOnBadInput) {
  const fs::path d = scratch_dir("pulse_cli_bad");
  write_file(d / "good.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,1.2e-5\n0.2,-4,0.05,1.1e-5\n");
  write_file(d / "odd.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.03,1.2e-5\n");
  write_file(d / "bad.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,1.2e-5\n0.05,-4,0.05,1.1e-5\n");
  const std::string train = "[[measured_table.train]]\nfile = \"good.csv\"\n";
  const std::string held = "[[measured_table.train]]\nfile = \"good.csv\"\nheld_out = true\n";
  struct bad_case {
    const char* name;
    std::string body;
    std::string where;
  };
  const std::vector<bad_case> cases{
      {"no_held_out", train, "hold out at least one train"},
      {"all_held_out", held, "at least one must build the table"},
      {"no_trains", "", "has no [[measured_table.train]]"},
      {"bad_train", train + "[[measured_table.train]]\nfile = \"bad.csv\"\nheld_out = true\n", "bad.csv:4:"},
      {"missing_file", train + "[[measured_table.train]]\nfile = \"nope.csv\"\nheld_out = true\n", "m.toml:"},
      {"not_whole_steps", train + "[[measured_table.train]]\nfile = \"odd.csv\"\nheld_out = true\n",
       "odd.csv:3: width_s = 0.03: expected a whole number of model steps"},
      {"both_sections", train + held + "[calibration]\nruns = 1\n", "both [calibration]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = measured_file(d, c.body);
    const fs::path out = d / "out";
    const auto r = ionrail_test::run_cli("calibrate " + path + " --out " + out.string() + " --quiet");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(has(r.output, c.where)) << r.output;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out.string() + ".lock"));
    EXPECT_FALSE(fs::exists(out.string() + ".checkpoint"));
  }
}

// A long held-out replay (0.1 ms model steps, a read 2000 s later: 2e7
// steps of 64 devices) shows progress and stops on SIGINT: exit 130, no
// resume hint (nothing to resume), nothing left in the directory.
TEST(MeasuredTableCommand, SigintStopsALongReplayAndLeavesNothing) {
  const fs::path d = scratch_dir("pulse_cli_sigint");
  write_file(d / "b.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,2e-5\n0.2,-4,0.05,1.5e-5\n0.3,4,0.05,2e-5\n"
                          "0.4,-4,0.05,1.5e-5\n0.5,4,0.05,2e-5\n");
  write_file(d / "h.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,2e-5\n2000,0,0,1.5e-5\n");
  const std::string file = write_file(d / "m.toml", "[measured_table]\ndt_m_s = 0.0001\nmin_samples = 1\n"
                                                    "[[measured_table.train]]\nfile = \"b.csv\"\n"
                                                    "[[measured_table.train]]\nfile = \"h.csv\"\nheld_out = true\n");
  const fs::path out = d / "out", log = d / "log";
  const pid_t pid = ionrail_test::spawn({"calibrate", file, "--out", out.string()}, log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && ionrail_test::slurp(log).find("replaying") == std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGINT);
  ASSERT_EQ(ionrail_test::wait_for(pid), 130) << ionrail_test::slurp(log);
  const std::string said = ionrail_test::slurp(log);
  EXPECT_TRUE(has(said, "interrupted by SIGINT while replaying the held-out trains: nothing written")) << said;
  EXPECT_FALSE(has(said, "resume with")) << said;
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().rfind("out", 0), std::string::npos) << e.path();
}

nlohmann::json read_json(const fs::path& f) {
  std::ifstream in(f);
  return nlohmann::json::parse(in);
}

// The shipped example end to end: the table written in every format (and
// loadable from each), within the fidelity bar on its held-out train, the
// same bits when built again, and a crossbar that learns on it.
TEST(MeasuredTableCommand, ShippedExampleIntoTheCrossbar) {
  const fs::path d = scratch_dir("pulse_cli_example");
  const std::string src = IONRAIL_SOURCE_DIR;
  const fs::path out = d / "table";
  const auto r = ionrail_test::run_cli("calibrate " + src + "/experiments/measured/pulses.toml --out " + out.string() +
                                       " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto f : {ionrail::model_io::table_format::csv, ionrail::model_io::table_format::hex,
                 ionrail::model_io::table_format::header})
    EXPECT_NO_THROW(ionrail::model_io::load_table(out.string(), f));
  for (const char* f : {"report.md", "drift.csv", "heldout0.csv", "plots.gp"}) EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto j = read_json(out / "table.json");
  const auto& cal = j.at("calibration");
  EXPECT_EQ(cal.at("source"), "measured pulse trains");
  EXPECT_TRUE(cal.at("fidelity").at("meets_bar").get<bool>());
  EXPECT_LE(cal.at("fidelity").at("nrmse").at(0).get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(ionrail::model_io::table_metadata(out.string(), "dt_m_s"), 0.05);
  // Deterministic: built again, the same table.
  const fs::path again = d / "again";
  ASSERT_EQ(ionrail_test::run_cli("calibrate " + src + "/experiments/measured/pulses.toml --out " + again.string() +
                                  " --quiet").code, 0);
  EXPECT_EQ(ionrail::model_io::load_table(out.string()).checksum(), ionrail::model_io::load_table(again.string()).checksum());
  // The table the repository ships is this one.
  EXPECT_EQ(ionrail::model_io::load_table(src + "/tables/measured_pulses").checksum(),
            ionrail::model_io::load_table(out.string()).checksum());
  // `ionrail replay` runs it; --compare-kmc has no KMC to compare with.
  write_file(d / "proto.toml", "[protocol]\nkind = \"relax\"\nvoltage_v = 6\npulse_s = 0.5\nrelax_s = 5\n");
  const auto rp = ionrail_test::run_cli("replay " + out.string() + " --protocol " + (d / "proto.toml").string() +
                                        " --out " + (d / "replay").string() + " --quiet");
  EXPECT_EQ(rp.code, 0) << rp.output;
  const auto rk = ionrail_test::run_cli("replay " + out.string() + " --protocol " + (d / "proto.toml").string() +
                                        " --out " + (d / "replay2").string() + " --compare-kmc --quiet");
  EXPECT_EQ(rk.code, 2) << rk.output;
  EXPECT_TRUE(has(rk.output, "measured pulse trains")) << rk.output;
  // The crossbar learns the digits on the measured device (one epoch;
  // chance is 10 %).
  const auto x = ionrail_test::run_cli("crossbar " + src + "/experiments/crossbar_digits_measured.toml --out " +
                                       (d / "crossbar").string() + " --set crossbar.epochs=1 --quiet");
  ASSERT_EQ(x.code, 0) << x.output;
  const auto s = read_json(d / "crossbar" / "summary.json");
  EXPECT_GE(s.at("device").at("test_accuracy").get<double>(), 0.7) << s.dump();
}

}  // namespace
