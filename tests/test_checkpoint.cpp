// Engine checkpoints: an engine that saves its state anywhere (between
// samples, mid-interval, where a stop flag halted it) and a fresh engine
// that loads it continue bit for bit as the uninterrupted engine, for the
// sync and the BKL solver; states that do not fit are refused.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/kmc/state_io.hpp>

#include "same_bits.hpp"

namespace {

using namespace ionrail::kmc;

// Two species, two classes, space charge on, a pulse train: every part of
// the state matters.
device_params device() {
  device_params d;
  d.thickness_nm = 20;
  d.sites = 24;
  d.rails = 300;
  d.zones = 4;
  species_params a, b;
  a.name = "a", b.name = "b";
  a.activation_energy_ev = 0.3, b.activation_energy_ev = 0.35;
  a.attempt_frequency_hz = b.attempt_frequency_hz = 1e5;
  a.fill = 0.2, b.fill = 0.1;
  b.charge = -1;
  d.species = {a, b};
  rail_class_params c1, c2;
  c1.name = "x", c2.name = "y";
  c1.fraction = 0.6, c2.fraction = 0.4;
  c2.activation_shift_ev = 0.02;
  d.classes = {c1, c2};
  d.ion_density_m3 = 1e24;
  return d;
}

std::shared_ptr<const voltage_source> drive() {
  protocol_params p;
  p.kind = protocol_kind::pulses;
  p.pulses.n_pot = 3;
  p.pulses.n_dep = 2;
  p.pulses.v_pot_v = 1.5;
  p.pulses.v_dep_v = -1.5;
  p.pulses.width_s = 0.2;
  p.pulses.gap_s = 0.2;
  return make_drive(p).voltage;
}

sim_params sim(method m) {
  sim_params s;
  s.solver = m;
  s.seed = 11;
  s.threads = 1;
  s.field_every = m == method::sync ? 3 : 1;
  return s;
}

constexpr double end_s = 2.2, sample_s = 0.1;

// Samples every sample_s from `from` to the end.
std::vector<sample> run_from(engine& e, int first_sample) {
  std::vector<sample> out;
  for (int k = first_sample; k * sample_s <= end_s + 1e-12; ++k) {
    e.advance_to(k * sample_s);
    out.push_back(e.take_sample());
  }
  return out;
}

void expect_same(const std::vector<sample>& a, const std::vector<sample>& b) { ionrail::test::expect_same_samples(a, b); }

void expect_same_engines(const engine& a, const engine& b) {
  EXPECT_EQ(a.model().positions().q, b.model().positions().q);
  EXPECT_EQ(a.model().counts(), b.model().counts());
  EXPECT_EQ(a.info().steps, b.info().steps);
  EXPECT_EQ(a.info().events, b.info().events);
  EXPECT_EQ(a.info().attempts, b.info().attempts);
  EXPECT_EQ(a.energy_j(), b.energy_j());
  EXPECT_EQ(a.time_s(), b.time_s());
  const auto ta = a.transport(), tb = b.transport();
  EXPECT_EQ(ta.tracer_msd_m2, tb.tracer_msd_m2);
}

class Checkpoint : public ::testing::TestWithParam<method> {};

// Samples 0..7, then an advance to 0.75 s (not a sample time).
std::vector<sample> run_to_mid(engine& e) {
  std::vector<sample> got;
  for (int k = 0; k <= 7; ++k) {
    e.advance_to(k * sample_s);
    got.push_back(e.take_sample());
  }
  e.advance_to(0.75);
  return got;
}

TEST_P(Checkpoint, ResumedEngineContinuesBitForBit) {
  // The same calls without interruption (BKL's trajectory depends on the
  // times advanced to, so the reference advances to 0.75 s too).
  engine whole(device(), sim(GetParam()), drive());
  std::vector<sample> reference = run_to_mid(whole);
  const std::vector<sample> tail = run_from(whole, 8);
  reference.insert(reference.end(), tail.begin(), tail.end());
  ASSERT_GT(reference.back().energy_j, 0.0);

  // Saved mid-interval: the next advance_to must pick up inside the interval.
  engine first(device(), sim(GetParam()), drive());
  std::vector<sample> got = run_to_mid(first);
  const std::string state = first.save_state();

  engine second(device(), sim(GetParam()), drive());
  second.load_state(state, "test state");
  EXPECT_EQ(second.time_s(), first.time_s());
  const std::vector<sample> rest = run_from(second, 8);
  got.insert(got.end(), rest.begin(), rest.end());
  expect_same(reference, got);
  expect_same_engines(whole, second);

  // Saving the loaded engine gives the same bytes as the original at that point.
  engine third(device(), sim(GetParam()), drive());
  third.load_state(state, "test state");
  EXPECT_EQ(third.save_state(), state);
}

// Forwards a drive and raises a stop flag when a solver first asks for V at
// or after `trip_s`: the flag then goes up inside advance_to, between steps
// or events, wherever the solver happens to be.
class tripwire final : public voltage_source {
 public:
  tripwire(std::shared_ptr<const voltage_source> inner, double trip_s, std::atomic<bool>& flag)
      : inner_(std::move(inner)), trip_s_(trip_s), flag_(flag) {}
  double voltage(double t_s) const override {
    if (t_s >= trip_s_ && !tripped_) tripped_ = true, flag_ = true;
    return inner_->voltage(t_s);
  }
  double max_abs_voltage() const override { return inner_->max_abs_voltage(); }
  drive_breakpoints breakpoints() const override { return inner_->breakpoints(); }

 private:
  std::shared_ptr<const voltage_source> inner_;
  double trip_s_;
  std::atomic<bool>& flag_;
  mutable bool tripped_ = false;
};

TEST_P(Checkpoint, StopFlagHaltsInsideAnAdvanceAndAdvancingAgainContinues) {
  engine whole(device(), sim(GetParam()), drive());
  const std::vector<sample> reference = run_from(whole, 0);

  for (double trip : {0.0, 0.437, 1.2, 1.9}) {
    SCOPED_TRACE(trip);
    std::atomic<bool> stop{false};
    auto source = std::make_shared<tripwire>(drive(), trip, stop);
    engine e(device(), sim(GetParam()), source);
    e.set_stop_flag(&stop);
    std::vector<sample> got;
    int k = 0;
    for (; k * sample_s <= end_s + 1e-12; ++k) {
      e.advance_to(k * sample_s);
      if (stop) break;
      got.push_back(e.take_sample());
    }
    ASSERT_TRUE(stop.load()) << "the flag never went up";
    EXPECT_LE(e.time_s(), k * sample_s);
    const std::string state = e.save_state();
    // A raised flag makes advance_to return at once.
    const double t = e.time_s();
    e.advance_to(end_s);
    EXPECT_EQ(e.time_s(), t);

    // The state saved where the flag stopped it, loaded into a fresh engine,
    // continues to the same samples.
    engine resumed(device(), sim(GetParam()), drive());
    resumed.load_state(state, "test state");
    std::vector<sample> rest = run_from(resumed, k);
    std::vector<sample> all = got;
    all.insert(all.end(), rest.begin(), rest.end());
    expect_same(reference, all);
    expect_same_engines(whole, resumed);

    // The stopped engine itself continues too once the flag is lowered.
    stop = false;
    std::vector<sample> again = got;
    rest = run_from(e, k);
    again.insert(again.end(), rest.begin(), rest.end());
    expect_same(reference, again);
  }
}

// A flag raised by another thread at an unpredictable moment.
TEST_P(Checkpoint, StopFlagFromAnotherThread) {
  engine whole(device(), sim(GetParam()), drive());
  const std::vector<sample> reference = run_from(whole, 0);
  std::atomic<bool> stop{false};
  engine e(device(), sim(GetParam()), drive());
  e.set_stop_flag(&stop);
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    stop = true;
  });
  std::vector<sample> got;
  int k = 0;
  for (; k * sample_s <= end_s + 1e-12; ++k) {
    e.advance_to(k * sample_s);
    if (stop) break;
    got.push_back(e.take_sample());
  }
  raiser.join();
  engine resumed(device(), sim(GetParam()), drive());
  resumed.load_state(e.save_state(), "test state");
  const std::vector<sample> rest = run_from(resumed, k);
  got.insert(got.end(), rest.begin(), rest.end());
  expect_same(reference, got);
}

INSTANTIATE_TEST_SUITE_P(Solvers, Checkpoint, ::testing::Values(method::sync, method::bkl),
                         [](const auto& p) { return std::string(to_string(p.param)); });

void expect_refused(const std::string& state, const device_params& d, const sim_params& s, const std::string& fragment) {
  engine e(d, s, drive());
  try {
    e.load_state(state, "ckpt");
    FAIL() << "loaded a state that does not fit (" << fragment << ")";
  } catch (const state_error& err) {
    EXPECT_NE(std::string(err.what()).find(fragment), std::string::npos) << err.what();
    EXPECT_EQ(std::string(err.what()).rfind("ckpt: ", 0), 0u) << err.what();
  }
}

TEST(CheckpointErrors, StatesThatDoNotFitAreRefused) {
  for (method m : {method::sync, method::bkl}) {
    SCOPED_TRACE(to_string(m));
    engine e(device(), sim(m), drive());
    e.advance_to(0.5);
    const std::string state = e.save_state();
    expect_refused(state.substr(0, state.size() / 2), device(), sim(m), "truncated");
    expect_refused(state + "x", device(), sim(m), "unread bytes");
    sim_params other_seed = sim(m);
    other_seed.seed = 12;
    expect_refused(state, device(), other_seed, "");
    device_params more = device();
    more.rails = 400;
    expect_refused(state, more, sim(m), "this configuration has");
    sim_params other_method = sim(m == method::sync ? method::bkl : method::sync);
    expect_refused(state, device(), other_method, "another sim.method");
    expect_refused("garbage", device(), sim(m), "");
  }
}

TEST(CheckpointErrors, DisorderedPositionsAreRefused) {
  engine e(device(), sim(method::sync), drive());
  e.advance_to(0.3);
  std::string state = e.save_state();
  // Find the positions vector (after the engine header and the model tag) by
  // its known contents and swap two ions of rail 0.
  const auto& q = e.model().positions().q;
  const std::string bytes(reinterpret_cast<const char*>(q.data()), q.size() * sizeof(q[0]));
  const auto at = state.find(bytes);
  ASSERT_NE(at, std::string::npos);
  const std::size_t stride = static_cast<std::size_t>(e.model().positions().stride);
  std::uint16_t a = 0, b = 0;
  std::memcpy(&a, state.data() + at + 2 * stride * 1, 2);
  std::memcpy(&b, state.data() + at + 2 * stride * 2, 2);
  std::memcpy(state.data() + at + 2 * stride * 1, &b, 2);
  std::memcpy(state.data() + at + 2 * stride * 2, &a, 2);
  expect_refused(state, device(), sim(method::sync), "not ordered");
}

TEST(EngineMemory, EstimateGrowsWithRailsAndIons) {
  device_params d;
  d.rails = 1000;
  const double small = engine_memory_bytes(d, sim_params{});
  // 1000 rails of 33 ions + 2 walls, uint16, twice (positions, reference), and a checkpoint's copy.
  EXPECT_GE(small, 4.0 * 1024 * 35 * 2);
  EXPECT_LT(small, 4e6);
  d.rails = 1000000;
  EXPECT_GT(engine_memory_bytes(d, sim_params{}), 500.0 * small);
  sim_params bkl;
  bkl.solver = method::bkl;
  EXPECT_GT(engine_memory_bytes(d, bkl), engine_memory_bytes(d, sim_params{}));
}

TEST(EngineLimits, BklRefusesMoreIonsThanItsIdsHold) {
  device_params d;
  d.rails = 200000000;  // × 33 ions per rail > 2^32
  sim_params s;
  s.solver = method::bkl;
  try {
    validate(d, s);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sim.method = \"bkl\": holds at most 4294967294 ions"), std::string::npos) << e.what();
  }
  d.rails = max_rails + 1;
  EXPECT_THROW(validate(d), std::invalid_argument);
}

}  // namespace
