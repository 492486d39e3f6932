// The shared IONRAIL_HD physics functions, against closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include <ionrail/kmc/det_exp.hpp>
#include <ionrail/kmc/physics.hpp>

namespace {

using namespace ionrail::kmc;

TEST(DetExp, WithinTwoUlpOfLibmOverTheRatesRange) {
  // Rates use exponents in about [-700, 700]; 200001 points across it.
  double worst = 0;
  for (int k = -100000; k <= 100000; ++k) {
    const double x = 700.0 * k / 100000.0 + 1e-7 * (k % 7);
    const double ref = std::exp(x);
    const double ulp = std::nextafter(ref, HUGE_VAL) - ref;
    worst = std::max(worst, std::fabs(det_exp(x) - ref) / ulp);
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(det_exp(0.0), 1.0);
  EXPECT_EQ(det_exp(-800.0), 0.0);
  EXPECT_TRUE(std::isinf(det_exp(800.0)));
  EXPECT_TRUE(std::isnan(det_exp(std::nan(""))));
}

TEST(HopRate, SatisfiesDetailedBalanceWithSiteEnergies) {
  // Γ+(i) / Γ−(i+1) = exp(ΔE / kT), ΔE = z e E a − (ε_{i+1} − ε_i).
  const double temperature = 320.0;
  hop_params p;
  p.base_rate_hz = base_hop_rate(1e13, 0.7, temperature);
  p.half_beta_per_ev = 1.0 / (2 * boltzmann_ev_per_k * temperature);
  p.charge_spacing_m = 2 * 1e-9;  // z = 2, a = 1 nm
  for (double field : {-3e7, 0.0, 5e7})
    for (double de : {-0.1, 0.0, 0.04}) {
      const double forward = hop_rate(p, +1, field, 0.01, 0.01 + de);
      const double backward = hop_rate(p, -1, field, 0.01 + de, 0.01);
      const double released = 2 * 1e-9 * field - de;
      EXPECT_NEAR(forward / backward, std::exp(released / (boltzmann_ev_per_k * temperature)),
                  1e-13 * forward / backward);
    }
  EXPECT_NEAR(p.base_rate_hz, 1e13 * std::exp(-0.7 / (boltzmann_ev_per_k * temperature)), 1e-13 * p.base_rate_hz);
}

TEST(HopRate, WallsBlockAndFieldPushesCationsRight) {
  const int sites = 5;
  const double field[4] = {1e8, 1e8, 1e8, 1e8};
  const double eps[5] = {0, 0, 0, 0, 0};
  hop_params p{1.0, 1.0 / (2 * boltzmann_ev_per_k * 300), 1e-9};
  const site_rates first = hop_rates_at(p, field, eps, sites, 1);
  const site_rates last = hop_rates_at(p, field, eps, sites, sites);
  EXPECT_EQ(first.left, 0.0);
  EXPECT_EQ(last.right, 0.0);
  EXPECT_GT(first.right, 1.0);
  EXPECT_LT(last.left, 1.0);
}

TEST(Thresholds, AreExactFractionsOfTwoToThe32) {
  EXPECT_EQ(probability_threshold(0.5, 1.0), 2147483648u);
  EXPECT_EQ(probability_threshold(0.25, 2.0), 2147483648u);
  EXPECT_EQ(probability_threshold(0.0, 1.0), 0u);
  EXPECT_EQ(probability_threshold(2.0, 1.0), 0xFFFFFFFFu);  // saturates: p >= 1 is an error upstream
  const hop_thresholds t = thresholds_from_rates({0.25, 0.125}, 1.0);
  EXPECT_EQ(t.right, 1073741824u);
  EXPECT_EQ(t.total, 1073741824u + 536870912u);
}

TEST(HopTarget, FollowsTheDrawAndRejectsBlockedHops) {
  const std::uint32_t right = 100, total = 300;
  EXPECT_EQ(hop_target(5, 2, 9, 50, right, total), 6);   // right, free
  EXPECT_EQ(hop_target(5, 2, 6, 50, right, total), 5);   // right, blocked
  EXPECT_EQ(hop_target(5, 2, 9, 150, right, total), 4);  // left, free
  EXPECT_EQ(hop_target(5, 4, 9, 150, right, total), 5);  // left, blocked
  EXPECT_EQ(hop_target(5, 2, 9, 300, right, total), 5);  // stay
  EXPECT_EQ(hop_target(1, 0, 9, 150, right, total), 1);  // left wall sentinel
}

TEST(Philox, CountersSeparateStepsHalvesRailsAndStreams) {
  const auto a = philox_draw(sync_hop_counter(1, 0, 0, 0, 0));
  const auto b = philox_draw(sync_hop_counter(1, 0, 1, 0, 0));
  const auto c = philox_draw(sync_hop_counter(1, 1, 0, 0, 0));
  const auto d = philox_draw(sync_hop_counter(2, 0, 0, 0, 0));
  const auto e = philox_draw(stream_counter(1, draw_stream::initial, 0, 0));
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_NE(a, e);
  EXPECT_EQ(a, philox_draw(sync_hop_counter(1, 0, 0, 0, 0)));
}

TEST(UnitInterval, NeverZeroNeverAboveOne) {
  EXPECT_GT(unit_interval_open0(0, 0), 0.0);
  EXPECT_LE(unit_interval_open0(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0);
}

}  // namespace
