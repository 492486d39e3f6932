// The work estimate (kmc::estimate_work) that lets a command refuse a run
// that would never end. It is bookkeeping, so it is checked against what can
// be counted exactly: a fixed step's count, the zero-field rate 2Γ0 of the
// Arrhenius law, and the steps a solver actually takes when the rates do not
// change (no space charge, piecewise-constant voltage).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/kmc/work_estimate.hpp>

namespace {

using namespace ionrail::kmc;

device_params small_device() {
  device_params d;
  d.sites = 20;
  d.rails = 40;
  d.thickness_nm = 20;
  d.zones = 4;
  d.ion_density_m3 = 0;  // no space charge: the field is V/d everywhere
  d.species[0].activation_energy_ev = 0.3;
  d.species[0].attempt_frequency_hz = 1e5;
  d.species[0].fill = 0.3;
  return d;
}

double gamma0(const device_params& d) {
  const auto& s = d.species[0];
  return s.attempt_frequency_hz * std::exp(-s.activation_energy_ev / (boltzmann_ev_per_k * d.temperature_k));
}

piecewise_linear_voltage hold(double volts, double seconds) { return piecewise_linear_voltage({0.0, seconds}, {volts, volts}); }

// 4 s at 2 V, then 30 s at 0 V.
protocol_drive pulse_then_relax() {
  protocol_params p;
  p.kind = protocol_kind::relax;
  p.relax.voltage_v = 2.0;
  p.relax.pulse_s = 4.0;
  p.relax.relax_s = 30.0;
  return make_drive(p);
}

TEST(WorkEstimate, FixedStepIsDurationOverStep) {
  const device_params d = small_device();
  sim_params s;
  s.dt_s = 1e-3;
  const work_estimate w = estimate_work(d, s, hold(1.0, 2.0));
  EXPECT_NEAR(w.steps, 2000.0, 1e-9);
  EXPECT_NEAR(w.attempts, 2000.0 * d.rails * d.ions_per_rail(), 1e-3);
  EXPECT_TRUE(w.finite());
}

TEST(WorkEstimate, AutomaticStepAtZeroFieldIsPmaxOverTwoGamma0) {
  const device_params d = small_device();
  sim_params s;
  s.p_max = 0.25;
  const double seconds = 50.0;
  const work_estimate w = estimate_work(d, s, hold(0.0, seconds));
  // An interior ion hops either way at Γ0 when nothing tilts the rail.
  const double expected = seconds * 2.0 * gamma0(d) / s.p_max;
  EXPECT_NEAR(w.steps / expected, 1.0, 1e-12);
  EXPECT_NEAR(w.peak_rate_hz / (2.0 * gamma0(d)), 1.0, 1e-12);
  // dt_max_s caps the step, so it can only add steps.
  s.dt_max_s = 0.1 * s.p_max / (2.0 * gamma0(d));
  EXPECT_NEAR(estimate_work(d, s, hold(0.0, seconds)).steps / (10 * expected), 1.0, 1e-12);
}

// Without space charge and at piecewise-constant V the automatic step is
// fixed within each part, so the estimate is the count the solver takes (up
// to the steps that straddle the voltage edges).
TEST(WorkEstimate, MatchesTheStepsOfARunWithoutSpaceCharge) {
  const device_params d = small_device();
  sim_params s;
  s.seed = 3;
  s.threads = 1;
  const protocol_drive drive = pulse_then_relax();
  const work_estimate w = estimate_work(d, s, *drive.voltage);
  engine e(d, s, drive.voltage);
  e.advance_to(drive.duration_s);
  const double taken = static_cast<double>(e.info().steps);
  ASSERT_GT(taken, 100.0);
  EXPECT_NEAR(taken, w.steps, 0.01 * w.steps + 4) << "estimated " << w.steps << " steps, the run took " << taken;
}

// BKL: events = Σ rates × time, at most every ion at the peak rate; exclusion
// (fill 0.3) blocks some hops, so the run takes fewer, but not many fewer.
TEST(WorkEstimate, BklEventsAreBoundedByRateTimesIons) {
  device_params d = small_device();
  d.rails = 20;
  sim_params s;
  s.solver = method::bkl;
  s.seed = 5;
  const double seconds = 20.0;
  const work_estimate w = estimate_work(d, s, hold(0.0, seconds));
  const double ions = static_cast<double>(d.rails) * d.ions_per_rail();
  EXPECT_NEAR(w.steps / (seconds * ions * 2.0 * gamma0(d)), 1.0, 1e-12);
  EXPECT_NEAR(w.attempts, w.steps * bkl_event_attempts, 1e-6 * w.attempts);
  engine e(d, s, std::make_shared<piecewise_linear_voltage>(hold(0.0, seconds)));
  e.advance_to(seconds);
  const double events = static_cast<double>(e.info().events);
  // ~4·10^3 events expected: 5 % is over 3 standard deviations of a Poisson count.
  ASSERT_GT(w.steps, 3000.0);
  EXPECT_LT(events, 1.05 * w.steps);
  EXPECT_GT(events, 0.5 * w.steps);
}

// The profile a progress bar follows: attempts accumulate segment by
// segment, to the same total as the estimate.
TEST(WorkEstimate, ProfileAccumulatesOverTheDrive) {
  const device_params d = small_device();
  sim_params s;
  const protocol_drive drive = pulse_then_relax();
  const work_profile profile = estimate_work_profile(d, s, *drive.voltage);
  const work_estimate whole = estimate_work(d, s, *drive.voltage);
  EXPECT_NEAR(profile.total() / whole.attempts, 1.0, 1e-12);
  EXPECT_EQ(profile.at(0.0), 0.0);
  double last = 0;
  for (int k = 0; k <= 340; ++k) {
    const double now = profile.at(0.1 * k);
    EXPECT_GE(now, last) << "at t = " << 0.1 * k;
    last = now;
  }
  // The pulse's share is what the pulse alone would take (its 1 ns edges aside).
  const double pulse = estimate_work(d, s, hold(2.0, 4.0)).attempts;
  const double relax = estimate_work(d, s, hold(0.0, 30.0)).attempts;
  EXPECT_NEAR(profile.at(drive.drive_end_s) / pulse, 1.0, 1e-6);
  EXPECT_NEAR(profile.total() / (pulse + relax), 1.0, 1e-6);
  EXPECT_GT(pulse / 4.0, 2.0 * relax / 30.0);  // the field speeds every hop up
}

TEST(WorkEstimate, RefusalNamesTheCauseAndTheKey) {
  const device_params d = small_device();
  sim_params fixed;
  fixed.dt_s = 1e-300;
  const work_estimate tiny = estimate_work(d, fixed, hold(1.0, 1.0));
  EXPECT_GT(tiny.attempts, 1e299);
  const std::string why = work_refusal(tiny, d, fixed, default_work_limit);
  EXPECT_NE(why.find("sim.dt_s = 1e-300"), std::string::npos) << why;
  EXPECT_NE(why.find("--max-work"), std::string::npos) << why;

  // A voltage at which exp() overflows: named as an overflow, not a count.
  sim_params automatic;
  const work_estimate hot = estimate_work(d, automatic, hold(1e6, 1.0));
  EXPECT_FALSE(hot.finite());
  const std::string overflow = work_refusal(hot, d, automatic, default_work_limit);
  EXPECT_NE(overflow.find("overflows at |V| = 1e+06 V"), std::string::npos) << overflow;

  // A high but finite voltage collapses the automatic step.
  const work_estimate high = estimate_work(d, automatic, hold(100.0, 1.0));
  ASSERT_TRUE(high.finite());
  const std::string collapse = work_refusal(high, d, automatic, default_work_limit);
  EXPECT_NE(collapse.find("automatic steps"), std::string::npos) << collapse;
  EXPECT_NE(collapse.find("|V| = 100 V"), std::string::npos) << collapse;

  // Within the limit: no refusal; the limit itself is the boundary.
  const work_estimate ok = estimate_work(d, automatic, hold(1.0, 1.0));
  EXPECT_EQ(work_refusal(ok, d, automatic, default_work_limit), "");
  EXPECT_EQ(work_refusal(ok, d, automatic, ok.attempts), "");
  EXPECT_NE(work_refusal(ok, d, automatic, ok.attempts * 0.999), "");
}

}  // namespace
