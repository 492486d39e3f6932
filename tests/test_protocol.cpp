// Each protocol produces the voltage its definition says (spec §7), and
// waveform files are read and interpolated, or refused with file and line.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

namespace {

using namespace ionrail::kmc;

TEST(Protocol, RelaxHoldsThenDropsToZero) {
  protocol_params p;
  p.kind = protocol_kind::relax;
  p.relax = {7.5, 3.0, 20.0};
  const auto d = make_drive(p);
  EXPECT_DOUBLE_EQ(d.drive_end_s, 3.0);
  EXPECT_NEAR(d.duration_s, 23.0, 1e-12);
  for (double t = 0; t <= 23.0; t += 0.01) {
    const double expected = t <= 3.0 ? 7.5 : (t >= 3.0 + protocol_edge_s ? 0.0 : d.voltage->voltage(t));
    EXPECT_DOUBLE_EQ(d.voltage->voltage(t), expected) << "t = " << t;
  }
  EXPECT_DOUBLE_EQ(d.voltage->max_abs_voltage(), 7.5);
}

TEST(Protocol, SweepIsTheTriangle) {
  protocol_params p;
  p.kind = protocol_kind::sweep;
  p.sweep = {2.0, 0.5, 2};
  const auto d = make_drive(p);
  const double quarter = 4.0;  // 2 V at 0.5 V/s
  EXPECT_NEAR(d.duration_s, 2 * 4 * quarter, 1e-12);
  for (double t = 0; t <= d.duration_s; t += 0.037) {
    const double phase = std::fmod(t, 4 * quarter) / quarter;  // 0..4
    double expected;
    if (phase <= 1) expected = 2.0 * phase;
    else if (phase <= 3) expected = 2.0 * (2 - phase);
    else expected = 2.0 * (phase - 4);
    EXPECT_NEAR(d.voltage->voltage(t), expected, 1e-9) << "t = " << t;
  }
}

TEST(Protocol, PulseTrainPotentiatesThenDepressesWithReadsInTheGaps) {
  protocol_params p;
  p.kind = protocol_kind::pulses;
  p.pulses = {3, 2, 4.0, -3.0, 0.2, 0.3, 0.1};
  const auto d = make_drive(p);
  EXPECT_NEAR(d.duration_s, 0.3 + 5 * 0.5, 1e-9);
  auto v = [&](double t) { return d.voltage->voltage(t); };
  EXPECT_DOUBLE_EQ(v(0.1), 0.1);  // read before the first pulse
  for (int k = 0; k < 5; ++k) {
    const double start = 0.3 + k * 0.5;
    EXPECT_DOUBLE_EQ(v(start + 0.1), k < 3 ? 4.0 : -3.0) << "pulse " << k;
    EXPECT_DOUBLE_EQ(v(start + 0.35), 0.1) << "gap after pulse " << k;
  }
  EXPECT_DOUBLE_EQ(d.voltage->max_abs_voltage(), 4.0);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Protocol, WaveformCsvIsInterpolatedPiecewiseLinearly) {
  const auto path = write_temp("wave.csv", "time_s,volts\n0,0\n1,2\n# a comment\n3,-2\n");
  protocol_params p;
  p.kind = protocol_kind::waveform;
  p.waveform_csv = path;
  const auto d = make_drive(p);
  EXPECT_DOUBLE_EQ(d.duration_s, 3.0);
  EXPECT_DOUBLE_EQ(d.voltage->voltage(0.5), 1.0);
  EXPECT_DOUBLE_EQ(d.voltage->voltage(1.5), 1.0);
  EXPECT_DOUBLE_EQ(d.voltage->voltage(2.0), 0.0);
  EXPECT_DOUBLE_EQ(d.voltage->voltage(2.75), -1.5);
}

void expect_waveform_error(const std::string& text, const std::string& fragment) {
  const auto path = write_temp("bad.csv", text);
  try {
    read_waveform_csv(path);
    FAIL() << "accepted: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Protocol, BadWaveformsNameFileAndLine) {
  expect_waveform_error("0,0\n1,1\n1,2\n", ":3: time_s = 1 does not increase");
  expect_waveform_error("0,0\n1,abc\n", ":2: expected 'time_s,volts'");
  expect_waveform_error("0,0\n1,nan\n", ":2: volts = nan: must be finite");
  expect_waveform_error("0,0\n", "at least two");
  expect_waveform_error("0.5,0\n1,1\n", "first time_s must be 0");
  try {
    read_waveform_csv("/nonexistent/w.csv");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/w.csv: cannot open"), std::string::npos);
  }
}

TEST(Protocol, InvalidParametersAreRefused) {
  protocol_params p;
  p.kind = protocol_kind::sweep;
  p.sweep.rate_v_per_s = 0;
  EXPECT_THROW(make_drive(p), std::invalid_argument);
  p = {};
  p.kind = protocol_kind::pulses;
  p.pulses.n_pot = p.pulses.n_dep = 0;
  EXPECT_THROW(make_drive(p), std::invalid_argument);
  p = {};
  p.sample_every_s = std::nan("");
  EXPECT_THROW(make_drive(p), std::invalid_argument);
}

}  // namespace

// A slow (retentive) material at rest gets an automatic step of ~0.3 s, far
// longer than a 50 ms pulse. A step samples V at its midpoint only, so a step
// across the pulse would step over it entirely; the automatic step ends on
// the drive's breakpoints instead (plan_step), so the pulse is seen with or
// without sim.dt_max_s, and the two see about the same response. Thin film,
// 0.9 eV barrier; 2 s at 0 V, then 50 ms at 10 V.
namespace {
TEST(Protocol, AutomaticStepResolvesAPulseShorterThanItself) {
  ionrail::kmc::device_params d;
  d.thickness_nm = 20;
  d.sites = 20;
  d.rails = 400;
  d.zones = 4;
  d.species.front().activation_energy_ev = 0.9;
  d.ion_density_m3 = 2e24;
  auto pulse = std::make_shared<ionrail::kmc::piecewise_linear_voltage>(
      std::vector<double>{0.0, 2.0, 2.0 + 1e-9, 2.05, 2.05 + 1e-9, 3.0},
      std::vector<double>{0.0, 0.0, 10.0, 10.0, 0.0, 0.0}, "short pulse");
  double longest_uncapped = 0;
  auto moved = [&](double dt_max) {
    ionrail::kmc::sim_params s;
    s.seed = 3;
    s.dt_max_s = dt_max;
    ionrail::kmc::engine e(d, s, pulse);
    e.advance_to(1.99);
    const double before = e.take_sample().state;
    e.advance_to(2.2);
    if (dt_max > 0) {
      // A step that lands on a breakpoint or a sample time within rounding
      // (plan_step: 1e-9 of the step) ends exactly on it.
      EXPECT_LE(e.info().dt_max_s, dt_max * (1 + 1e-9));
    } else {
      longest_uncapped = e.info().dt_max_s;
    }
    return e.take_sample().state - before;
  };
  const double uncapped = moved(0.0), capped = moved(0.01);
  EXPECT_GT(longest_uncapped, 0.1) << "the uncapped step is no longer longer than the pulse";
  // 400 rails x 7 ions: a 10 V pulse of 50 ms moves the readout fraction by
  // far more than its statistical noise (~0.01).
  EXPECT_GT(uncapped, 0.1);
  EXPECT_GT(capped, 0.1);
  EXPECT_NEAR(uncapped, capped, 0.05);
}
}  // namespace
