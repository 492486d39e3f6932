// Step convergence of the automatic sync step (issue #22): halving every
// bound of the automatic step (p_max, rate_change_max, dt_max_s) must not
// move a reported observable by more than its statistical error.
//
// Statistics: each case runs `seeds` independent seeds (fixed, so the test is
// deterministic) at the default bounds and at the halved ones. An observable
// passes if |mean_default − mean_halved| < 4 σ, σ² = s_default² / n + s_halved² / n
// with s the spread over seeds. For a converged step a Gaussian |z| exceeds 4
// with probability 6e-5 per observable (the seeds are fixed, so a pass is a
// pass for good; the bound says how unlucky a failing seed set would have to
// be). The observables are changes from t = 0: one seed places the same
// initial ions at either step, so the start's placement noise cancels.
//
// Power: with the drive bound off (rate_change_max = 0, the behaviour before
// issue #22) the 1 V/s sweep's step is the p_max step, 45 ms, and halving it
// moves the lobe area by ~4 %; SweepWithoutDriveBoundDoesNotConverge checks
// that these same statistics see that (|z| > 4), so the sweep case can fail.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <ionrail/runs/metrics.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

namespace {

using namespace ionrail;

// The material of experiments/iv_rates.toml (materials/polymer.toml).
config::run_config base_config() {
  return config::load_run_config(std::string(IONRAIL_SOURCE_DIR) + "/experiments/iv_rates.toml");
}

kmc::sim_params halved(kmc::sim_params s) {
  s.p_max /= 2;
  s.rate_change_max /= 2;
  s.dt_max_s /= 2;
  return s;
}

// Runs the drive and returns the samples at `times` (steps land on them).
std::vector<kmc::sample> run(const kmc::device_params& d, kmc::sim_params s,
                             const std::shared_ptr<kmc::piecewise_linear_voltage>& drive,
                             const std::vector<double>& times) {
  s.threads = 1;
  kmc::engine e(d, s, drive);
  std::vector<kmc::sample> trace;
  for (double t : times) {
    e.advance_to(t);
    trace.push_back(e.take_sample());
  }
  return trace;
}

// Rows every `every` seconds from 0 to `end_s`, as the runner writes them.
std::vector<double> rows(double end_s, double every) {
  std::vector<double> t;
  for (int k = 0; k * every <= end_s * (1 + 1e-12); ++k) t.push_back(k * every);
  return t;
}

struct comparison {
  std::vector<double> z;  // per observable
};

// Means and spreads over seeds of each observable at the two step sizes.
template <class Measure>
comparison compare(const kmc::sim_params& coarse, const kmc::sim_params& fine, int seeds, Measure measure,
                   const std::vector<std::string>& names) {
  std::vector<std::vector<double>> a(names.size()), b(names.size());
  for (int k = 0; k < seeds; ++k) {
    kmc::sim_params ca = coarse, cb = fine;
    ca.seed = cb.seed = 1000 + static_cast<std::uint64_t>(k);
    const std::vector<double> va = measure(ca), vb = measure(cb);
    for (std::size_t i = 0; i < names.size(); ++i) a[i].push_back(va[i]), b[i].push_back(vb[i]);
  }
  comparison c;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto stats = [](const std::vector<double>& x, double& mean, double& var) {
      mean = 0;
      for (double v : x) mean += v / static_cast<double>(x.size());
      var = 0;
      for (double v : x) var += (v - mean) * (v - mean) / static_cast<double>(x.size() - 1);
    };
    double ma, va, mb, vb;
    stats(a[i], ma, va);
    stats(b[i], mb, vb);
    const double sigma = std::sqrt(va / seeds + vb / seeds);
    c.z.push_back(std::fabs(ma - mb) / sigma);
    std::printf("  %-28s step: %.6g ± %.2g   halved: %.6g ± %.2g   |z| = %.2f\n", names[i].c_str(), ma,
                std::sqrt(va / seeds), mb, std::sqrt(vb / seeds), c.z.back());
  }
  return c;
}

// (a) A fast I–V sweep: 0 → 1 V → 0 → −1 V → 0 at 1 V/s, rows every 50 ms.
// 6000 rails, 5 seeds per step size.
std::vector<double> sweep_observables(const kmc::device_params& d, const kmc::sim_params& s) {
  kmc::protocol_params p;
  p.kind = kmc::protocol_kind::sweep;
  p.sweep.v_max_v = 1.0;
  p.sweep.rate_v_per_s = 1.0;
  p.sweep.cycles = 1;
  const kmc::protocol_drive drive = kmc::make_drive(p);
  const auto trace = run(d, s, drive.voltage, rows(drive.duration_s, 0.05));
  const runs::loop_figures loop = runs::iv_loop(trace);
  return {loop.lobe_area_positive + loop.lobe_area_negative, trace.back().g_s - trace.front().g_s};
}

const std::vector<std::string> sweep_names = {"lobe area (A V)", "G(end) - G(0) (S)"};

kmc::device_params sweep_device() {
  kmc::device_params d = base_config().device;
  d.rails = 6000;
  return d;
}

TEST(StepConvergence, FastSweepLobeAreaAndFinalConductance) {
  const kmc::device_params d = sweep_device();
  const kmc::sim_params s = base_config().sim;
  const comparison c =
      compare(s, halved(s), 5, [&](const kmc::sim_params& x) { return sweep_observables(d, x); }, sweep_names);
  for (std::size_t i = 0; i < c.z.size(); ++i) EXPECT_LT(c.z[i], 4.0) << sweep_names[i];
}

// 12 seeds: the steps are long here, so runs are cheap.
TEST(StepConvergence, SweepWithoutDriveBoundDoesNotConverge) {
  const kmc::device_params d = sweep_device();
  kmc::sim_params s = base_config().sim;
  s.rate_change_max = 0;  // the automatic step before issue #22
  const comparison c =
      compare(s, halved(s), 12, [&](const kmc::sim_params& x) { return sweep_observables(d, x); }, sweep_names);
  EXPECT_GT(c.z[0], 4.0) << "the sweep case no longer detects the step error it was written for";
}

// Strong fields need p_max <= 0.125: the polarisation a 5 V pulse of 1 s
// leaves (state(1 s) - state(0), 8000 rails, 5 seeds, ± standard error)
// is 0.08321 ± 0.00018 at p_max 0.5 (the default), 0.08054 ± 0.00019 at
// 0.25, 0.07937 ± 0.00018 at 0.125 and 0.07893 ± 0.00016 at 0.0625: the
// sync method's error grows with the hop probability per step, 5 % at the
// default. Halving the default fails case (c) at 7.8 σ; cases (b) and (c)
// therefore run at p_max = 0.125, where halving moves it 1.8 σ; the default
// stays 0.5 for its cost (the measured trade is in docs/engine.md).
constexpr double strong_field_p_max = 0.125;

// A pulse of `volts` for pulse_s, then 0 V for relax_s.
kmc::protocol_drive pulse_then_rest(double volts, double pulse_s, double relax_s) {
  kmc::protocol_params p;
  p.kind = kmc::protocol_kind::relax;
  p.relax.voltage_v = volts;
  p.relax.pulse_s = pulse_s;
  p.relax.relax_s = relax_s;
  return kmc::make_drive(p);
}

// (b) A pulse edge: 4 V for 0.2 s, then 0 V. The state and G just after the
// falling edge (t = 0.21 s) and 0.1 s later. 8000 rails, 5 seeds.
TEST(StepConvergence, StateAndConductanceRightAfterAPulse) {
  kmc::device_params d = base_config().device;
  d.rails = 8000;
  kmc::sim_params s = base_config().sim;
  s.p_max = strong_field_p_max;
  const kmc::protocol_drive drive = pulse_then_rest(4.0, 0.2, 0.2);
  const std::vector<std::string> names = {"state(0.21 s) - state(0)", "G(0.21 s) - G(0) (S)", "state(0.31 s) - state(0)"};
  const comparison c = compare(
      s, halved(s), 5,
      [&](const kmc::sim_params& x) {
        const auto trace = run(d, x, drive.voltage, {0.0, 0.21, 0.31});
        const auto& edge = trace[1];
        return std::vector<double>{edge.state - trace[0].state, edge.g_s - trace[0].g_s,
                                   trace.back().state - trace[0].state};
      },
      names);
  for (std::size_t i = 0; i < c.z.size(); ++i) EXPECT_LT(c.z[i], 4.0) << names[i];
}

// (c) Relaxation: 5 V for 1 s, then 0 V; the state at the end of the pulse
// and 2 s into the relaxation. 4000 rails, 5 seeds.
TEST(StepConvergence, StateDuringRelaxation) {
  kmc::device_params d = base_config().device;
  d.rails = 4000;
  kmc::sim_params s = base_config().sim;
  s.p_max = strong_field_p_max;
  const kmc::protocol_drive drive = pulse_then_rest(5.0, 1.0, 2.0);
  const std::vector<std::string> names = {"state(1 s) - state(0)", "state(3 s) - state(0)"};
  const comparison c = compare(
      s, halved(s), 5,
      [&](const kmc::sim_params& x) {
        const auto trace = run(d, x, drive.voltage, {0.0, 1.0, 3.0});
        return std::vector<double>{trace[1].state - trace[0].state, trace[2].state - trace[0].state};
      },
      names);
  for (std::size_t i = 0; i < c.z.size(); ++i) EXPECT_LT(c.z[i], 4.0) << names[i];
}

}  // namespace
