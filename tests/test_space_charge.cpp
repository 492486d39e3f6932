// Mean-field space charge (spec §3) and relaxation (spec §8):
//  - the bond fields equal an independent finite-element Poisson solution;
//  - the field integrates to exactly V across the film;
//  - a polarised film relaxes to uniform occupancy at V = 0, faster with
//    space charge than without (the space-charge field pushes ions back);
//  - sync with a small step agrees with bkl on a polarise-then-relax curve.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>

#include "exact_reference.hpp"
#include "statistics.hpp"

namespace {

using namespace ionrail::kmc;
namespace t = ionrail::test;

struct film {
  int sites = 30;
  double thickness_m = 60e-9;
  double c0 = 3e23, eps_r = 4.0;
  std::vector<int> charge{1, -2};
  std::vector<double> fill{0.3, 0.1};
};

// Random per-site counts for two species over `rails` rails, each rail holding
// exactly fill·L ions of each species.
std::vector<long long> random_counts(const film& f, int rails, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<long long> counts(f.charge.size() * f.sites, 0);
  for (std::size_t s = 0; s < f.charge.size(); ++s) {
    const int n = static_cast<int>(std::lround(f.fill[s] * f.sites));
    std::vector<int> order(f.sites);
    for (int r = 0; r < rails; ++r) {
      for (int i = 0; i < f.sites; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), gen);
      // Bias towards the left half so the field is far from uniform.
      std::partial_sort(order.begin(), order.begin() + n, order.end(),
                        [&](int a, int b) { return (a + static_cast<int>(gen() % 20)) < (b + static_cast<int>(gen() % 20)); });
      for (int k = 0; k < n; ++k) ++counts[s * f.sites + order[k]];
    }
  }
  return counts;
}

field_params params_of(const film& f, std::vector<double>& fill_storage) {
  field_params p;
  p.sites = f.sites;
  p.species = static_cast<int>(f.charge.size());
  p.inv_thickness_per_m = 1.0 / f.thickness_m;
  const double a = f.thickness_m / f.sites;
  p.space_charge_v_per_m = elementary_charge_c * f.c0 * a / (vacuum_permittivity_f_per_m * f.eps_r);
  p.charge = f.charge.data();
  fill_storage = f.fill;
  p.fill = fill_storage.data();
  p.fill_total = f.fill[0] + f.fill[1];
  return p;
}

TEST(SpaceCharge, BondFieldsEqualIndependentPoissonSolution) {
  // Charge density of zone i: e c0 Σ_s z_s (o_s − fill_s) / fill_total (C/m³).
  // The finite-element reference is exact at nodes; agreement to 1e-9 of the
  // largest field is rounding only.
  const film f;
  const int rails = 500;
  const auto counts = random_counts(f, rails, 7);
  std::vector<double> fill;
  const field_params p = params_of(f, fill);
  for (double volts : {0.0, 2.5, -4.0}) {
    std::vector<double> ours(f.sites - 1);
    std::vector<double> scratch(f.sites);
    bond_fields(p, volts, counts.data(), rails, ours.data(), scratch.data());
    std::vector<double> rho(f.sites, 0.0);
    for (int i = 0; i < f.sites; ++i)
      for (int s = 0; s < 2; ++s)
        rho[i] += elementary_charge_c * f.c0 * f.charge[s] *
                  (static_cast<double>(counts[s * f.sites + i]) / rails - f.fill[s]) / p.fill_total;
    const auto reference = t::poisson_bond_field(f.thickness_m, volts, vacuum_permittivity_f_per_m * f.eps_r, rho);
    double scale = 0;
    for (double e : reference) scale = std::max(scale, std::fabs(e));
    ASSERT_GT(scale, 1e6);  // a real space-charge field, not a trivial one
    for (int b = 0; b < f.sites - 1; ++b) EXPECT_NEAR(ours[b], reference[b], 1e-9 * scale) << "bond " << b;
  }
}

TEST(SpaceCharge, FieldIntegratesToExactlyTheAppliedVoltage) {
  // E is piecewise linear in x (S has slope q_i in zone i), so the wall values
  // follow from the bond values, and the trapezoid rule integrates it exactly.
  const film f;
  const int rails = 300;
  std::vector<double> fill;
  const field_params p = params_of(f, fill);
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto counts = random_counts(f, rails, seed);
    const double volts = 3.0 * seed - 5.0;
    std::vector<double> e(f.sites - 1);
    std::vector<double> scratch(f.sites);
    bond_fields(p, volts, counts.data(), rails, e.data(), scratch.data());
    auto zone_charge = [&](int i) {
      double q = 0;
      for (int s = 0; s < 2; ++s)
        q += f.charge[s] * (static_cast<double>(counts[s * f.sites + i]) / rails - f.fill[s]);
      return q / p.fill_total;
    };
    std::vector<double> nodes(f.sites + 1);
    nodes[0] = e[0] - p.space_charge_v_per_m * zone_charge(0);
    for (int b = 0; b < f.sites - 1; ++b) nodes[b + 1] = e[b];
    nodes[f.sites] = e[f.sites - 2] + p.space_charge_v_per_m * zone_charge(f.sites - 1);
    const double a = f.thickness_m / f.sites;
    double drop = 0;
    for (int i = 0; i < f.sites; ++i) drop += 0.5 * (nodes[i] + nodes[i + 1]) * a;
    double scale = 0;
    for (double v : nodes) scale = std::max(scale, std::fabs(v) * f.thickness_m);
    EXPECT_NEAR(drop, volts, 1e-12 * scale);
  }
}

TEST(SpaceCharge, NeutralFilmCarriesOnlyTheAppliedField) {
  const film f;
  std::vector<double> fill;
  const field_params p = params_of(f, fill);
  const int rails = 10;  // uniform occupancy: every site holds fill·rails of each species
  std::vector<long long> counts(2 * f.sites);
  for (int i = 0; i < f.sites; ++i) {
    counts[i] = 3;          // 0.3 × 10
    counts[f.sites + i] = 1;  // 0.1 × 10
  }
  std::vector<double> e(f.sites - 1);
  std::vector<double> scratch(f.sites);
  bond_fields(p, 1.5, counts.data(), rails, e.data(), scratch.data());
  for (double v : e) EXPECT_NEAR(v, 1.5 / f.thickness_m, 1e-12 * 1.5 / f.thickness_m);
}

// Γ0 = 1 Hz (Ea = 0, ν0 = 1 Hz), a = 1 nm, strong space charge: the largest
// space-charge field moves an ion by ~kT per hop.
device_params relax_device(int rails, double c0) {
  device_params d;
  d.sites = 20;
  d.thickness_nm = 20;
  d.rails = rails;
  d.ion_density_m3 = c0;
  d.rel_permittivity = 3;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  d.species[0].fill = 0.35;  // 7 ions
  d.zones = 5;
  return d;
}

double last_zone_excess(const sample& s, const device_params& d) {
  const double uniform = d.ions_per_rail() * 4.0 / d.sites;  // 4 sites per zone
  return s.zones.back() - uniform;
}

TEST(SpaceCharge, PolarisedFilmRelaxesToUniformOccupancy) {
  // Start packed against the right electrode, V = 0. After Γt = 300 (≫ the
  // slowest diffusion mode L²/π² ≈ 40) every zone must hold the uniform
  // share: per zone, the mean over R = 2000 rails and 20 snapshots within
  // 4 SE (SE from the rail-to-rail spread of the snapshot-averaged counts).
  constexpr int rails = 2000;
  device_params d = relax_device(rails, 1e24);
  d.initial_profile.assign(d.sites, 0.0);
  std::fill(d.initial_profile.end() - d.ions_per_rail(), d.initial_profile.end(), 1.0);
  sim_params sim;
  sim.seed = 600;
  engine e(d, sim, std::make_shared<constant_voltage>(0.0));
  double previous = last_zone_excess(e.take_sample(), d);
  EXPECT_GT(previous, 2.0);
  for (double time : {5.0, 20.0, 60.0}) {
    e.advance_to(time);
    const double excess = last_zone_excess(e.take_sample(), d);
    EXPECT_LT(excess, previous) << "t = " << time;
    previous = excess;
  }
  e.advance_to(300.0);
  const int zones = d.zones, snapshots = 20;
  std::vector<double> per_rail(static_cast<std::size_t>(rails) * zones, 0.0);
  for (int k = 0; k < snapshots; ++k) {
    e.advance_to(300.0 + 5.0 * k);
    const auto& pos = e.model().positions();
    for (int j = 0; j < pos.ions; ++j)
      for (int r = 0; r < rails; ++r) per_rail[static_cast<std::size_t>(r) * zones + (pos.row(j)[r] - 1) / 4] += 1.0 / snapshots;
  }
  const double uniform = d.ions_per_rail() * 4.0 / d.sites;
  for (int z = 0; z < zones; ++z) {
    std::vector<double> column(rails);
    for (int r = 0; r < rails; ++r) column[r] = per_rail[static_cast<std::size_t>(r) * zones + z];
    const auto m = t::mean_and_error(column);
    EXPECT_NEAR(m.mean, uniform, 4 * m.standard_error) << "zone " << z;
  }
}

TEST(SpaceCharge, SpaceChargeSpeedsRelaxation) {
  // Same start and seed; the only difference is c0. The space-charge field of
  // the pile points back into the film, so the pile must shrink faster.
  constexpr int rails = 2000;
  double excess[2];
  int k = 0;
  for (double c0 : {0.0, 1e24}) {
    device_params d = relax_device(rails, c0);
    d.initial_profile.assign(d.sites, 0.0);
    std::fill(d.initial_profile.end() - d.ions_per_rail(), d.initial_profile.end(), 1.0);
    sim_params sim;
    sim.seed = 601;
    sim.dt_s = 0.05;
    engine e(d, sim, std::make_shared<constant_voltage>(0.0));
    e.advance_to(10.0);
    excess[k++] = last_zone_excess(e.take_sample(), d);
  }
  // SE of a rail-averaged zone count is below sqrt(4/2000) ≈ 0.045; demand a
  // difference of more than 10 times that.
  EXPECT_LT(excess[1], excess[0] - 0.45) << "no space charge: " << excess[0] << ", with: " << excess[1];
}

TEST(SpaceCharge, SyncWithSmallStepAgreesWithBklOnRelaxationCurve) {
  // Polarise at z e E a = kT/2 for 20 s, then relax at V = 0 for 40 s; f_right
  // sampled every 4 s. 12 independent seeds per method, 200 rails each; at
  // every time the seed-averaged curves must agree within 4 SE of their
  // difference. sync uses p_max = 0.02 so its O(dt) bias is far below that.
  constexpr int rails = 200, seeds = 12;
  const device_params d = relax_device(rails, 1e24);
  const double vp = 0.5 * boltzmann_ev_per_k * d.temperature_k * d.sites;
  auto source = std::make_shared<piecewise_linear_voltage>(std::vector<double>{0.0, 20.0, 20.0 + 1e-9},
                                                           std::vector<double>{vp, vp, 0.0});
  std::vector<double> times;
  for (double time = 4.0; time <= 60.0; time += 4.0) times.push_back(time);
  std::vector<std::vector<double>> curves[2];
  for (int m = 0; m < 2; ++m)
    for (int s = 0; s < seeds; ++s) {
      sim_params sim;
      sim.solver = m == 0 ? method::sync : method::bkl;
      sim.p_max = 0.02;
      sim.seed = 700 + static_cast<std::uint64_t>(s);
      engine e(d, sim, source);
      std::vector<double> curve;
      for (double time : times) {
        e.advance_to(time);
        curve.push_back(e.take_sample().f_right);
      }
      curves[m].push_back(curve);
    }
  double peak = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    std::vector<double> a, b;
    for (int s = 0; s < seeds; ++s) {
      a.push_back(curves[0][s][i]);
      b.push_back(curves[1][s][i]);
    }
    const auto ma = t::mean_and_error(a), mb = t::mean_and_error(b);
    peak = std::max(peak, mb.mean);
    EXPECT_NEAR(ma.mean, mb.mean, 4 * std::hypot(ma.standard_error, mb.standard_error)) << "t = " << times[i];
  }
  EXPECT_GT(peak, 0.3);  // the film really polarised (uniform: 0.2)
}

}  // namespace
