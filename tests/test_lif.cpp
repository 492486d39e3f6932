// The fixed-point leaky integrate-and-fire neuron (model/include/ionrail/
// model/lif.hpp): leak, integration, threshold, reset, refractory period,
// input scaling and saturation against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/lif.hpp>
#include <ionrail/model/table.hpp>

namespace {

using namespace ionrail::model;

constexpr std::int32_t unit = std::int32_t{1} << q_membrane::frac_bits;  // 1.0 membrane unit
// A current that is exactly `x` membrane units per step at input_shift = 7.
q_current input_units(double x) { return q_current::from_raw(static_cast<std::int64_t>(std::llround(x * unit)) << 7); }

lif_params integrator(double threshold, int refractory) {
  return make_lif_params(1.0, 0.0, 0.0, threshold, refractory, 7);
}

TEST(Lif, InputShiftMapsMicroampsToMembraneUnits) {
  const lif_params p = integrator(1.0, 0);
  // 1 µA (2^31 LSB) at shift 7 is 2^24 = 1.0 membrane unit.
  EXPECT_EQ(lif_input(p, q_current::from_raw(std::int64_t{1} << 31)).raw(), unit);
  // Round half up, like every rounding of the model.
  EXPECT_EQ(lif_input(p, q_current::from_raw(64)).raw(), 1);   // 0.5 → 1
  EXPECT_EQ(lif_input(p, q_current::from_raw(63)).raw(), 0);
  EXPECT_EQ(lif_input(p, q_current::from_raw(-64)).raw(), 0);  // −0.5 → 0
  EXPECT_EQ(lif_input(p, q_current::from_raw(-65)).raw(), -1);
  // Saturation to the membrane format, and the ends of int64 survive the clamp.
  EXPECT_EQ(lif_input(p, q_current::max()).raw(), INT32_MAX);
  EXPECT_EQ(lif_input(p, q_current::min()).raw(), INT32_MIN);
  lif_params wide = p;
  wide.input_shift = 62;
  EXPECT_EQ(lif_input(wide, q_current::max()).raw(), 1);  // 2^62 / 2^62
  EXPECT_EQ(lif_input(wide, q_current::min()).raw(), -1);
  wide.input_shift = 99;  // counts as 62
  EXPECT_EQ(lif_input(wide, q_current::max()).raw(), 1);
  wide.input_shift = 0;
  EXPECT_EQ(lif_input(wide, q_current::from_raw(-12345)).raw(), -12345);
}

TEST(Lif, PerfectIntegratorFiresAtTheExpectedSteps) {
  // No leak, threshold 1.0, input 0.3 per step, refractory 2: the potential
  // reaches 1.2 >= 1 on the 4th step, then 2 steps held, then again 4 steps.
  const lif_params p = integrator(1.0, 2);
  lif_state n = lif_init(p);
  std::vector<int> spikes;
  for (int k = 1; k <= 30; ++k)
    if (lif_step(p, n, input_units(0.3))) spikes.push_back(k);
  EXPECT_EQ(spikes, (std::vector<int>{4, 10, 16, 22, 28}));
}

TEST(Lif, RefractoryHoldsAtResetAndIgnoresInput) {
  lif_params p = make_lif_params(1.0, 0.0, -0.5, 1.0, 3, 7);
  lif_state n = lif_init(p);
  EXPECT_TRUE(lif_step(p, n, input_units(2.0)));
  EXPECT_EQ(n.v.raw(), -unit / 2);
  EXPECT_EQ(n.refractory, 3);
  for (int k = 0; k < 3; ++k) {
    EXPECT_FALSE(lif_step(p, n, input_units(100.0)));
    EXPECT_EQ(n.v.raw(), -unit / 2);
    EXPECT_EQ(n.refractory, 2 - k);
  }
  EXPECT_FALSE(lif_step(p, n, input_units(0.25)));  // integrating again from −0.5
  EXPECT_EQ(n.v.raw(), -unit / 4);
}

TEST(Lif, ThresholdIsInclusive) {
  const lif_params p = integrator(1.0, 0);
  lif_state n = lif_init(p);
  EXPECT_FALSE(lif_step(p, n, q_current::from_raw((std::int64_t{unit} - 1) << 7)));
  EXPECT_TRUE(lif_step(p, n, q_current::from_raw(std::int64_t{1} << 7)));  // exactly 1.0
  EXPECT_EQ(n.v.raw(), 0);
}

TEST(Lif, LeakDecaysGeometricallyTowardsRest) {
  const double alpha = 0.9;
  const lif_params p = make_lif_params(alpha, 0.25, 0.0, 100.0, 0, 7);
  lif_state n{q_membrane::from_double(2.25), 0};
  for (int k = 1; k <= 60; ++k) {
    lif_step(p, n, q_current::zero());
    // Each step rounds once by at most half an LSB; errors shrink by α.
    const double exact = 0.25 + 2.0 * std::pow(p.decay.to_double(), k);
    EXPECT_NEAR(n.v.to_double(), exact, 0.5 / (1 - alpha) * q_membrane::lsb + 1e-12) << "step " << k;
  }
}

TEST(Lif, LeakyNeuronSettlesAtRestPlusInputOverOneMinusDecay) {
  // α = 0.75, input 0.1: v → 0.1 / 0.25 = 0.4 below a threshold of 1.
  const lif_params p = make_lif_params(0.75, 0.0, 0.0, 1.0, 0, 7);
  lif_state n = lif_init(p);
  bool spiked = false;
  for (int k = 0; k < 200; ++k) spiked |= lif_step(p, n, input_units(0.1));
  EXPECT_FALSE(spiked);
  EXPECT_NEAR(n.v.to_double(), 0.4, 6 * q_membrane::lsb);
  // The same neuron with 0.3 per step (→ 1.2) crosses the threshold.
  lif_state m = lif_init(p);
  int spikes = 0;
  for (int k = 0; k < 200; ++k) spikes += lif_step(p, m, input_units(0.3));
  EXPECT_GT(spikes, 10);
}

TEST(Lif, SaturatesInsteadOfWrapping) {
  lif_params p = make_lif_params(1.0, 0.0, 0.0, 127.0, 0, 0);
  p.threshold = q_membrane::max();
  lif_state n{q_membrane::from_raw(INT32_MAX - 5), 0};
  EXPECT_TRUE(lif_step(p, n, q_current::from_raw(100)));  // saturates to max = threshold
  lif_state m{q_membrane::from_raw(INT32_MIN + 5), 0};
  EXPECT_FALSE(lif_step(p, m, q_current::from_raw(-100)));
  EXPECT_EQ(m.v.raw(), INT32_MIN);
  // Any int32 decay and potentials: no overflow, the result is the clamp of the exact value.
  // v_rest + (−2^32 + 1)·(−2) is far above int32: it saturates to the
  // maximum (= threshold) and fires; a wrapped product would not.
  const lif_params q{q_coeff::from_raw(INT32_MIN), q_membrane::from_raw(INT32_MAX), q_membrane::from_raw(123),
                     q_membrane::max(), 0, 0};
  lif_state k{q_membrane::from_raw(INT32_MIN), 0};
  EXPECT_TRUE(lif_step(q, k, q_current::zero()));
  EXPECT_EQ(k.v.raw(), 123);
}

TEST(Lif, RefractoryAndShiftAreClampedToTheirRanges) {
  const lif_params p = make_lif_params(1.0, 0.0, 0.0, 1.0, 1 << 20, 80);
  EXPECT_EQ(p.refractory_steps, lif_max_refractory);
  EXPECT_EQ(p.input_shift, lif_max_input_shift);
  lif_params q = p;
  q.refractory_steps = 1 << 20;  // out of range in the struct: the step clamps it
  q.input_shift = 0;
  lif_state n = lif_init(q);
  EXPECT_TRUE(lif_step(q, n, q_current::from_raw(unit)));
  EXPECT_EQ(n.refractory, lif_max_refractory);
}

TEST(Lif, StepIsConstexpr) {
  constexpr int fired = [] {
    const lif_params p{q_coeff::from_raw(coeff_one_raw), q_membrane::zero(), q_membrane::zero(), q_membrane::from_raw(unit),
                       1, 7};
    lif_state n = lif_init(p);
    int count = 0;
    for (int k = 0; k < 10; ++k) count += lif_step(p, n, q_current::from_raw(std::int64_t{unit} << 6));  // 0.5 per step
    return count;
  }();
  static_assert(fired == 3, "spikes at steps 2, 5, 8 (two to integrate, one refractory)");
  EXPECT_EQ(fired, 3);
}

TEST(Lif, CrossbarColumnDrivesTheNeuron) {
  // Column currents read from a crossbar feed one neuron per column: the
  // column with the larger conductance fires more often.
  table t(table_grid::make(1, 15, 1));
  t.g = {q_cond::from_double(10.0), q_cond::from_double(20.0), q_cond::from_double(30.0)};
  crossbar x(4, 2);
  for (int r = 0; r < 4; ++r) {
    x.at(r, 0).state = q_state::from_double(0.1);
    x.at(r, 1).state = q_state::from_double(0.9);
  }
  const std::vector<q_volt> v_row(4, q_volt::from_double(0.1));
  const auto i_col = x.read(t.view(), v_row);
  // 4 devices × ~12 and ~28 µS × 0.1 V ≈ 4.8 and 11.2 µA.
  EXPECT_NEAR(i_col[0].to_double(), 4 * 12.0 * q_volt::from_double(0.1).to_double(), 1e-5);
  const lif_params p = make_lif_params(0.9, 0.0, 0.0, 20.0, 1, 7);
  lif_state a = lif_init(p), b = lif_init(p);
  int na = 0, nb = 0;
  for (int k = 0; k < 1000; ++k) {
    na += lif_step(p, a, i_col[0]);
    nb += lif_step(p, b, i_col[1]);
  }
  EXPECT_GT(na, 0);
  EXPECT_GT(nb, 2 * na);
}

}  // namespace
