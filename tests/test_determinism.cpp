// Same seed ⇒ same bits, for any thread count (spec §5), and the mixed
// species/class path equals the fast path when the species or classes are
// physically identical.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <set>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/sync_solver.hpp>

#include "same_bits.hpp"

namespace {

using namespace ionrail::kmc;

struct trace {
  std::vector<sample> samples;
  std::vector<std::uint16_t> positions;
  run_info info;
};

std::shared_ptr<voltage_source> triangle() {
  return std::make_shared<piecewise_linear_voltage>(std::vector<double>{0, 0.5, 1.0, 1.5, 2.0},
                                                    std::vector<double>{0, 4, 0, -4, 0});
}

trace run(const device_params& d, sim_params sim, double until, int samples) {
  engine e(d, sim, triangle());
  trace t;
  for (int k = 1; k <= samples; ++k) {
    e.advance_to(until * k / samples);
    t.samples.push_back(e.take_sample());
  }
  const auto& q = e.model().positions().q;
  t.positions.assign(q.begin(), q.end());
  t.info = e.info();
  return t;
}

void expect_identical(const trace& a, const trace& b) {
  ASSERT_EQ(a.positions, b.positions);
  ionrail::test::expect_same_samples(a.samples, b.samples);
}

device_params polymer(int rails) {
  device_params d;  // the spec's starting point: 100 nm, 100 sites, fill 1/3, c0 = 2e23
  d.rails = rails;
  return d;
}

TEST(Determinism, OneAndTwoThreadsGiveIdenticalBits) {
  // 1000 rails: not a multiple of the 256-rail block, so threads split unevenly.
  sim_params one;
  one.seed = 2024;
  one.threads = 1;
  sim_params two = one;
  two.threads = 2;
  const auto a = run(polymer(1000), one, 2.0, 8);
  const auto b = run(polymer(1000), two, 2.0, 8);
  EXPECT_EQ(a.info.threads, 1);
  EXPECT_EQ(b.info.threads, 2);
  expect_identical(a, b);
  EXPECT_GT(a.info.steps, 50u);
  EXPECT_NE(a.samples[1].f_right, a.samples[3].f_right);  // something happened
}

// On a CPU with AVX-512 the fast path runs detail::avx512_sweep, which
// counts hops instead of sites; IONRAIL_SWEEP=generic selects the portable
// loops. Both must give the same bits, at the table-width limit of the
// AVX-512 kernel too (126 sites: 128 entries) and for blocks that end with
// fewer than 32 rails (1000 = 3 × 256 + 7 × 32 + 8). Elsewhere both runs take
// the portable loops.
TEST(Determinism, VectorAndPortableKernelsGiveIdenticalBits) {
  struct end_state {
    std::vector<std::uint16_t> positions;
    std::vector<long long> counts;
  };
  auto run_steps = [](const device_params& d, const sim_params& sim) {
    engine e(d, sim, triangle());
    for (int k = 0; k < 300; ++k) e.step();
    return end_state{e.model().positions().q, e.model().counts()};
  };
  for (const int sites : {100, 126, 20}) {
    device_params d = polymer(1000);
    d.sites = sites;
    sim_params sim;
    sim.seed = 77;
    sim.threads = 2;
    sim.adaptive_threads = false;
    const end_state vector = run_steps(d, sim);
    ::setenv("IONRAIL_SWEEP", "generic", 1);
    const end_state portable = run_steps(d, sim);
    ::unsetenv("IONRAIL_SWEEP");
    SCOPED_TRACE(sites);
    EXPECT_EQ(vector.positions, portable.positions);
    EXPECT_EQ(vector.counts, portable.counts);
  }
}

// The thread governor changes the team from step to step (its probes run
// 2 and 1 of 4 threads for a while, whatever the timings): a step with fewer
// threads than the last must not count the idle threads' histograms. The
// solvers are stepped until the adaptive one has used every count.
TEST(Determinism, ThreadCountChangingBetweenStepsGivesIdenticalBits) {
  const device_params d = polymer(1000);
  const auto source = triangle();
  sim_params adaptive;
  adaptive.seed = 77;
  adaptive.threads = 4;
  sim_params one = adaptive;
  one.threads = 1;
  one.adaptive_threads = false;
  rail_model model_a(d, adaptive.seed), model_b(d, one.seed);
  charge_ledger ledger_a, ledger_b;
  run_info info_a, info_b;
  sync_solver a(model_a, adaptive, *source, ledger_a, info_a), b(model_b, one, *source, ledger_b, info_b);
  std::set<int> used;
  int steps = 0;
  for (; steps < 200000 && used.size() < 3; ++steps) {
    used.insert(a.governor().threads());
    a.step();
    b.step();
  }
  ASSERT_EQ(used, (std::set<int>{1, 2, 4})) << "after " << steps << " steps";
  EXPECT_EQ(model_a.positions().q, model_b.positions().q);
  EXPECT_EQ(model_a.counts(), model_b.counts());
  EXPECT_EQ(a.time_s(), b.time_s());
}

TEST(Determinism, MixedSpeciesAndClassesAreThreadIndependent) {
  device_params d = polymer(777);
  d.species = {species_params{"li", 1, 0.70, 1e13, 0.2}, species_params{"anion", -1, 0.75, 1e13, 0.1}};
  d.classes = {rail_class_params{"fast", 0.4, -0.03, 1.0, {}}, rail_class_params{"slow", 0.6, 0.05, 2.0, {}}};
  d.field_per_class = true;
  sim_params one;
  one.seed = 9;
  one.threads = 1;
  sim_params two = one;
  two.threads = 2;
  expect_identical(run(d, one, 2.0, 5), run(d, two, 2.0, 5));
}

TEST(Determinism, IdenticalClassesOrSpeciesReproduceTheFastPath) {
  sim_params sim;
  sim.seed = 31;
  sim.dt_s = 1e-3;  // same step for every variant (the automatic one would also agree)
  const auto plain = run(polymer(600), sim, 1.0, 4);

  device_params two_classes = polymer(600);
  two_classes.classes = {rail_class_params{"a", 0.5, 0, 1, {}}, rail_class_params{"b", 0.5, 0, 1, {}}};
  expect_identical(plain, run(two_classes, sim, 1.0, 4));

  device_params two_species = polymer(600);
  two_species.species = {species_params{"a", 1, 0.72, 1e13, 0.2}, species_params{"b", 1, 0.72, 1e13, 0.13}};
  ASSERT_EQ(two_species.ions_per_rail(), 33);
  expect_identical(plain, run(two_species, sim, 1.0, 4));
}

TEST(Determinism, SeedIsRecordedAndDifferentSeedsDiffer) {
  sim_params a;
  a.seed = 5;
  sim_params b = a;
  b.seed = 6;
  const auto ta = run(polymer(300), a, 1.0, 2);
  const auto tb = run(polymer(300), b, 1.0, 2);
  EXPECT_EQ(ta.info.seed, 5u);
  EXPECT_EQ(tb.info.seed, 6u);
  EXPECT_NE(ta.positions, tb.positions);
}

TEST(Determinism, BklIsReproducible) {
  device_params d = polymer(50);
  d.sites = 30;
  sim_params sim;
  sim.solver = method::bkl;
  sim.seed = 77;
  const auto a = run(d, sim, 1.0, 3);
  const auto b = run(d, sim, 1.0, 3);
  expect_identical(a, b);
  EXPECT_GT(a.info.events, 1000u);
}

}  // namespace
