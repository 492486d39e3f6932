// One ion per rail, no space charge, no traps: the displacement after time t
// is a biased random walk whose moments are known exactly (spec §8).
//  - bkl (continuous time): mean (Γ+ − Γ−) t, variance (Γ+ + Γ−) t.
//  - sync (discrete steps): per step +1 with p = T+/2^32, −1 with m = T−/2^32.
// Rails are independent samples: 4000 rails, each moment within 4 standard
// errors (two-sided, ~6e-5 chance of a false failure per comparison).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>

#include "statistics.hpp"

namespace {

using namespace ionrail::kmc;
namespace t = ionrail::test;

constexpr int sites = 200;
constexpr int start_site = 60;
constexpr int rails = 4000;
constexpr double duration_s = 50.0;  // Γ0 t = 50: excursions stay far from the walls

// Γ0 = 1 Hz (Ea = 0, ν0 = 1 Hz) and a field with z e E a = kB T, so that
// Γ± = exp(±1/2) Hz exactly.
device_params single_ion_device(int charge) {
  device_params d;
  d.sites = sites;
  d.thickness_nm = sites * 1.0;  // a = 1 nm
  d.rails = rails;
  d.ion_density_m3 = 0;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  d.species[0].charge = charge;
  d.species[0].fill = 1.0 / sites;
  d.initial_profile.assign(sites, 0.0);
  d.initial_profile[start_site] = 1.0;
  d.zones = 10;
  return d;
}

double bias_voltage(int charge, double temperature_k) {
  // z e E a = kB T with E = V / d and a = d / L  =>  V = kB T L / (z e), in volts.
  return boltzmann_ev_per_k * temperature_k * sites / charge;
}

struct measured {
  double mean = 0;      // sites
  double variance = 0;  // sites²
};

measured run_walk(const device_params& d, method m, std::uint64_t seed, double volts, double* dt_used) {
  sim_params sim;
  sim.solver = m;
  sim.seed = seed;
  engine e(d, sim, std::make_shared<constant_voltage>(volts));
  e.advance_to(duration_s);
  if (dt_used) *dt_used = e.info().dt_s;
  const double elapsed = e.time_s();
  EXPECT_NEAR(elapsed, duration_s, m == method::sync ? e.info().dt_s : 1e-12);
  const auto tr = e.transport();
  const double a = d.spacing_m();
  measured r;
  r.mean = tr.mean_displacement_m / a;
  r.variance = tr.tracer_msd_m2 / (a * a) - r.mean * r.mean;
  return r;
}

void expect_moments(const measured& got, const t::walk_moments& exact) {
  const double se_mean = t::mean_standard_error(exact, rails);
  const double se_var = t::variance_standard_error(exact, rails);
  EXPECT_NEAR(got.mean, exact.mean, 4 * se_mean) << "drift: exact " << exact.mean << " sites, SE " << se_mean;
  EXPECT_NEAR(got.variance, exact.variance, 4 * se_var) << "variance: exact " << exact.variance << " sites², SE " << se_var;
}

TEST(SingleIon, BklDriftAndDiffusionMatchContinuousTime) {
  for (int z : {1, -2}) {
    SCOPED_TRACE("charge " + std::to_string(z));
    const auto d = single_ion_device(z);
    const measured got = run_walk(d, method::bkl, 11, bias_voltage(z, d.temperature_k), nullptr);
    // Γ± = exp(±1/2) for z e E a = kB T, whatever the sign of z (V scaled by 1/z).
    expect_moments(got, t::poisson_walk(std::exp(0.5) * duration_s, std::exp(-0.5) * duration_s));
  }
}

TEST(SingleIon, BklUnbiasedWalkHasNoDrift) {
  const auto d = single_ion_device(1);
  const measured got = run_walk(d, method::bkl, 12, 0.0, nullptr);
  expect_moments(got, t::poisson_walk(duration_s, duration_s));
}

TEST(SingleIon, SyncDriftAndDiffusionMatchDiscreteSteps) {
  for (double p_max : {0.5, 0.1}) {
    SCOPED_TRACE("p_max " + std::to_string(p_max));
    auto d = single_ion_device(1);
    sim_params sim;
    sim.p_max = p_max;
    sim.seed = 13;
    engine e(d, sim, std::make_shared<constant_voltage>(bias_voltage(1, d.temperature_k)));
    e.advance_to(duration_s);
    const double dt = e.info().dt_s;
    const double steps = static_cast<double>(e.info().steps);
    // Exact per-step probabilities: the thresholds the engine must use.
    const double p = std::floor(std::exp(0.5) * dt * 4294967296.0) / 4294967296.0;
    const double m = std::floor(std::exp(-0.5) * dt * 4294967296.0) / 4294967296.0;
    const auto tr = e.transport();
    const double a = d.spacing_m();
    measured got{tr.mean_displacement_m / a, tr.tracer_msd_m2 / (a * a)};
    got.variance -= got.mean * got.mean;
    expect_moments(got, t::discrete_walk(p, m, steps));
    // The automatic step honours p_max over the largest field that can occur.
    EXPECT_LE((std::exp(0.5) + std::exp(-0.5)) * dt, p_max * (1 + 1e-12));
    EXPECT_TRUE(e.info().dt_automatic);
  }
}

TEST(SingleIon, TransportCoefficientsAreReportedInSiUnits) {
  const auto d = single_ion_device(1);
  sim_params sim;
  sim.solver = method::bkl;
  sim.seed = 14;
  engine e(d, sim, std::make_shared<constant_voltage>(bias_voltage(1, d.temperature_k)));
  e.advance_to(duration_s);
  const auto tr = e.transport();
  const double a = d.spacing_m();
  const double v_exact = (std::exp(0.5) - std::exp(-0.5)) * a;  // m/s
  const auto exact = t::poisson_walk(std::exp(0.5) * duration_s, std::exp(-0.5) * duration_s);
  EXPECT_NEAR(tr.drift_velocity_m_s, v_exact, 4 * t::mean_standard_error(exact, rails) * a / duration_s);
  // One ion per rail: the centre of mass is the ion, so D_J = D* and H_R = 1.
  EXPECT_DOUBLE_EQ(tr.d_jump_m2_s, tr.d_tracer_m2_s);
  EXPECT_DOUBLE_EQ(tr.haven_ratio, 1.0);
}

}  // namespace
