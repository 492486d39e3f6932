// A closed rail in a constant field without space charge relaxes to the
// Boltzmann distribution over configurations, weight exp(β z e E a Σ p_j − β Σ ε_{p_j})
// (spec §8). Small rails are enumerated exactly and compared with the
// simulated time-averaged site occupancies of both methods.
//
// Statistics: each rail's occupancy is time-averaged over `samples` snapshots
// (after a burn-in); rails are independent, so the standard error of the
// rail average is the rail-to-rail spread / sqrt(rails). Every site must be
// within 4 standard errors (~6e-5 false-failure chance per site).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>

#include "exact_reference.hpp"
#include "statistics.hpp"

namespace {

using namespace ionrail::kmc;
namespace t = ionrail::test;

struct rail_case {
  const char* name;
  int sites;
  int ions;
  double beta_field;                 // β z e E a
  std::vector<double> site_energy_ev;
};

constexpr double temperature_k = 300.0;
constexpr int rails = 2000;
constexpr double burn_in_s = 30.0;   // Γ0 = 1 Hz: tens of hops per ion
constexpr double every_s = 1.5;
constexpr int samples = 200;

double kt_ev() { return boltzmann_ev_per_k * temperature_k; }

void check_case(const rail_case& c, method m, std::uint64_t seed) {
  SCOPED_TRACE(std::string(c.name) + " with " + to_string(m));
  device_params d;
  d.sites = c.sites;
  d.thickness_nm = c.sites * 1.0;
  d.rails = rails;
  d.temperature_k = temperature_k;
  d.ion_density_m3 = 0;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  d.species[0].fill = static_cast<double>(c.ions) / c.sites;
  d.site_energy_ev = c.site_energy_ev;
  d.zones = 2;
  ASSERT_EQ(d.ions_per_rail(), c.ions);
  // β z e E a = beta_field with E = V/d, a = 1 nm  =>  V = beta_field kT L / z.
  const double volts = c.beta_field * kt_ev() * c.sites;

  sim_params sim;
  sim.solver = m;
  sim.seed = seed;
  engine e(d, sim, std::make_shared<constant_voltage>(volts));

  std::vector<double> per_rail(static_cast<std::size_t>(rails) * c.sites, 0.0);
  double time = burn_in_s;
  for (int k = 0; k < samples; ++k, time += every_s) {
    e.advance_to(time);
    const auto& pos = e.model().positions();
    for (int j = 0; j < c.ions; ++j)
      for (int r = 0; r < rails; ++r) per_rail[static_cast<std::size_t>(r) * c.sites + pos.row(j)[r] - 1] += 1.0 / samples;
  }

  std::vector<double> beta_eps(c.sites, 0.0);
  for (int i = 0; i < c.sites && !c.site_energy_ev.empty(); ++i) beta_eps[i] = c.site_energy_ev[i] / kt_ev();
  const auto exact = t::closed_rail_occupancy(c.sites, c.ions, c.beta_field, beta_eps);

  double worst = 0;
  for (int i = 0; i < c.sites; ++i) {
    std::vector<double> column(rails);
    for (int r = 0; r < rails; ++r) column[r] = per_rail[static_cast<std::size_t>(r) * c.sites + i];
    const auto got = t::mean_and_error(column);
    worst = std::max(worst, std::fabs(got.mean - exact[i]) / got.standard_error);
    EXPECT_NEAR(got.mean, exact[i], 4 * got.standard_error) << "site " << i;
  }
  ::testing::Test::RecordProperty("worst_standard_errors", std::to_string(worst));
}

std::vector<rail_case> cases() {
  const double kt = kt_ev();
  // A trap (−1.5 kT) at site 2 and a barrier site (+1 kT) at site 5.
  std::vector<double> trap_barrier(8, 0.0);
  trap_barrier[2] = -1.5 * kt;
  trap_barrier[5] = +1.0 * kt;
  std::vector<double> ramp(11, 0.0);
  for (int i = 0; i < 11; ++i) ramp[i] = 0.2 * kt * (i % 3);
  return {{"L8_n3_field", 8, 3, 0.4, {}},
          {"L8_n3_field_trap_barrier", 8, 3, 0.4, trap_barrier},
          {"L11_n5_reverse_field_landscape", 11, 5, -0.3, ramp}};
}

TEST(ClosedRail, BklMatchesExactEnumeration) {
  std::uint64_t seed = 100;
  for (const auto& c : cases()) check_case(c, method::bkl, seed++);
}

TEST(ClosedRail, SyncMatchesExactEnumeration) {
  // Each half-sweep moves non-adjacent ions independently with probabilities
  // in the ratio of the rates, so Boltzmann is stationary for any dt.
  std::uint64_t seed = 200;
  for (const auto& c : cases()) check_case(c, method::sync, seed++);
}

TEST(ClosedRail, ExactDistributionIsNotUniform) {
  // Guards the test's power: the exact answer differs from uniform filling by
  // far more than the tolerance, so a wrong sign of the field or of ε fails.
  for (const auto& c : cases()) {
    std::vector<double> beta_eps(c.sites, 0.0);
    for (int i = 0; i < c.sites && !c.site_energy_ev.empty(); ++i) beta_eps[i] = c.site_energy_ev[i] / kt_ev();
    const auto exact = t::closed_rail_occupancy(c.sites, c.ions, c.beta_field, beta_eps);
    const double uniform = static_cast<double>(c.ions) / c.sites;
    double spread = 0;
    for (double o : exact) spread = std::max(spread, std::fabs(o - uniform));
    EXPECT_GT(spread, 0.1) << c.name;
  }
}

}  // namespace
