// Samples land at the requested times (issue #22): the sync solver shortens
// its last step before a target to end on it, BKL stops its clock there, so
// every trace row is at its stated time and no row repeats another, even
// with rows closer than the step; and summary.json's I–V lobe area is the
// one trace.csv's rows give.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <ionrail/runs/metrics.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

std::shared_ptr<kmc::piecewise_linear_voltage> triangle() {
  return std::make_shared<kmc::piecewise_linear_voltage>(std::vector<double>{0, 0.5, 1.0, 1.5, 2.0},
                                                         std::vector<double>{0, 2, 0, -2, 0});
}

kmc::device_params small_device(int rails) {
  kmc::device_params d;
  d.rails = rails;
  return d;
}

// Every advance_to(t) ends with the clock exactly at t: for rows much closer
// than the step (1 ms against a step of tens of ms), for rows far apart, and
// off the step grid (0.0137 s spacing).
// BKL runs 20 rails over the first 0.6 s (every event costs a draw).
void expect_lands(const kmc::sim_params& s, int rails = 200, double end_s = 2.0) {
  for (double every : {0.001, 0.0137, 0.25}) {
    SCOPED_TRACE(every);
    kmc::engine e(small_device(rails), s, triangle());
    double last = -1;
    for (int k = 0; k * every <= end_s; ++k) {
      const double t = k * every;
      e.advance_to(t);
      ASSERT_EQ(e.time_s(), t);
      const kmc::sample row = e.take_sample();
      EXPECT_EQ(row.t_s, t);
      EXPECT_GT(row.t_s, last) << "a repeated row";
      last = row.t_s;
    }
  }
}

TEST(SampleTimes, AutomaticSyncStepLandsOnEveryTarget) {
  kmc::sim_params s;
  s.threads = 1;
  expect_lands(s);
}

TEST(SampleTimes, GivenSyncStepLandsOnEveryTarget) {
  kmc::sim_params s;
  s.threads = 1;
  s.dt_s = 0.01;
  expect_lands(s);
}

TEST(SampleTimes, BklStopsItsClockOnEveryTarget) {
  kmc::sim_params s;
  s.solver = kmc::method::bkl;
  expect_lands(s, 20, 0.6);
}

// The automatic step never straddles a breakpoint of the drive: a step
// that starts before one ends on it, so with the field refreshed every step
// the step voltage (V at the midpoint) is the mean of V over the step.
TEST(SampleTimes, AutomaticStepEndsOnTheDrivesBreakpoints) {
  const std::vector<double> times{0, 0.5, 1.0, 1.5, 2.0};
  const std::vector<double> volts{0, 2, 0, -2, 0};
  for (double t : {0.0, 0.3, 0.49, 0.4999999, 1.2}) {
    const kmc::step_plan p = kmc::plan_step(t, 0.2, 1e9, times.data(), volts.data(), 5, 0, 0);
    const double next = t < 0.5 ? 0.5 : 1.5;
    EXPECT_LE(p.end, next);
    if (t + 0.2 >= next) {
      EXPECT_EQ(p.end, next) << t;
      EXPECT_EQ(p.dt, next - t);
    }
  }
  // The drive bound: 4 V/s, at most 0.01 V per step.
  const kmc::step_plan p = kmc::plan_step(0.1, 0.2, 1e9, times.data(), volts.data(), 5, 0.01, 0.002);
  EXPECT_DOUBLE_EQ(p.dt, 0.01 / 4.0);
  // A 1 ns edge of 4 V is crossed in one step that ends on its top: the
  // drive bound does not go below rate_change_max · dt_natural.
  const std::vector<double> edge_t{0, 1.0, 1.0 + 1e-9, 2.0};
  const std::vector<double> edge_v{0, 0, 4, 4};
  const kmc::step_plan e = kmc::plan_step(1.0, 0.03, 1e9, edge_t.data(), edge_v.data(), 4, 0.01, 0.002);
  EXPECT_EQ(e.end, 1.0 + 1e-9);
  // No drive (a given sim.dt_s): only the target shortens the step.
  const kmc::step_plan q = kmc::plan_step(0.45, 0.2, 0.6, times.data(), volts.data(), 0, 0.01, 0.002);
  EXPECT_EQ(q.end, 0.6);
  const kmc::step_plan r = kmc::plan_step(0.45, 0.2, INFINITY, times.data(), volts.data(), 0, 0.01, 0.002);
  EXPECT_EQ(r.dt, 0.2);
}

// `ionrail run` end to end: rows every 5 ms at 1 V/s (the automatic step is
// longer at the start), each at k · 5 ms, none repeated; the lobe area
// computed from trace.csv as written equals summary.json's.
TEST(SampleTimes, TraceRowsAreAtTheirTimesAndGiveTheSummarysLobeArea) {
  const fs::path dir = fs::path(::testing::TempDir()) / "ionrail_sample_times";
  fs::create_directories(dir);
  const fs::path toml = dir / "sweep.toml";
  {
    std::ofstream f(toml);
    f << "material = \"" << IONRAIL_SOURCE_DIR << "/materials/polymer.toml\"\n"
      << "[device]\nrails = 300\n"
      << "[protocol]\nkind = \"sweep\"\nv_max_v = 1.0\nrate_v_per_s = 1.0\ncycles = 1\nsample_every_s = 0.005\n"
      << "[sim]\nseed = 5\n[output]\nplots = false\n";
  }
  runs::run_options o;
  o.out_dir = (dir / "out").string();
  o.force = true;
  o.quiet = true;
  const auto r = runs::run_experiment(toml.string(), o);
  ASSERT_EQ(r.variants.size(), 1u);

  std::ifstream csv(fs::path(o.out_dir) / "trace.csv");
  ASSERT_TRUE(csv.good());
  std::string line;
  std::getline(csv, line);  // header: t_s,v,f_left,f_right,state,g_s,i_a,...
  std::vector<kmc::sample> rows;
  while (std::getline(csv, line)) {
    std::istringstream in(line);
    std::vector<double> x;
    std::string cell;
    while (std::getline(in, cell, ',')) x.push_back(std::stod(cell));
    ASSERT_GE(x.size(), 7u);
    kmc::sample s;
    s.t_s = x[0];
    s.v = x[1];
    s.i_a = x[6];
    rows.push_back(s);
  }
  ASSERT_EQ(rows.size(), 801u);  // 0, 5 ms, ..., 4 s
  for (std::size_t k = 0; k < rows.size(); ++k) {
    EXPECT_NEAR(rows[k].t_s, 0.005 * static_cast<double>(k), 1e-12) << "row " << k;
    if (k > 0) {
      EXPECT_GT(rows[k].t_s, rows[k - 1].t_s) << "row " << k << " repeats";
    }
  }
  const runs::loop_figures from_csv = runs::iv_loop(rows);
  const auto& reported = r.variants[0].loop;
  ASSERT_GT(reported.lobe_area_positive, 0.0);
  // trace.csv keeps 9 significant digits.
  EXPECT_NEAR(from_csv.lobe_area_positive, reported.lobe_area_positive, 1e-6 * reported.lobe_area_positive);
  EXPECT_NEAR(from_csv.lobe_area_negative, reported.lobe_area_negative, 1e-6 * reported.lobe_area_negative);
}

}  // namespace
