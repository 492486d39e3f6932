// ionrail::sc::lif_neuron against model::lif_step (tests/kat/lif.kat through
// the ports, the one-cycle spike timing) and the pulse generator's waveform,
// retrigger and reset.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>

#include <ionrail/model/lif.hpp>
#include <ionrail/sc/lif_neuron.hpp>
#include <ionrail/sc/pulse_generator.hpp>

#include <ionrail/kat/kat.hpp>
#include "sc_test.hpp"

namespace {

using namespace ionrail;
using sc::testing::isolated;

void settle() { sc_core::sc_start(5, sc_core::SC_NS); }
void edge(sc_core::sc_signal<bool>& clk) {
  settle();
  clk.write(true);
  settle();
  clk.write(false);
}

struct neuron_bench {
  sc_core::sc_signal<bool> clk{"clk"}, rst{"rst"}, step_en{"step_en"}, spike{"spike"};
  sc_core::sc_signal<sc::current_t> i_in{"i_in"};
  sc_core::sc_signal<sc::membrane_t> v{"v"};
  sc_core::sc_signal<sc::refractory_t> refractory{"refractory"};
  sc::lif_neuron n;
  explicit neuron_bench(const model::lif_params& p) : n("n", p) {
    n.clk(clk);
    n.rst(rst);
    n.step_en(step_en);
    n.i_in(i_in);
    n.v(v);
    n.refractory(refractory);
    n.spike(spike);
  }
};

TEST(sc_lif_neuron, known_answers) {
  isolated([] {
    const auto lines = kat::read_lines(std::string(IONRAIL_SOURCE_DIR) + "/tests/kat/lif.kat");
    ASSERT_FALSE(lines.empty());
    ASSERT_EQ(lines[0][0], "neuron");
    auto params = [](const std::vector<std::string>& w) {
      model::lif_params p{};
      p.decay = model::q_coeff::from_raw(static_cast<std::int32_t>(kat::num(w, 1)));
      p.v_rest = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 2)));
      p.v_reset = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 3)));
      p.threshold = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 4)));
      p.refractory_steps = static_cast<std::int32_t>(kat::num(w, 5));
      p.input_shift = static_cast<std::int32_t>(kat::num(w, 6));
      return p;
    };
    neuron_bench b(params(lines[0]));
    long long steps = 0, spikes = 0, neurons = 0;
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const auto& w = lines[k];
      const std::string where = "lif.kat entry " + std::to_string(k + 1);
      if (w[0] == "neuron") {
        b.n.set_params(params(w));
        b.rst.write(true);
        edge(b.clk);
        b.rst.write(false);
        settle();
        ASSERT_EQ(b.v.read().to_int64(), kat::num(w, 2)) << where << ": reset to v_rest";
        ASSERT_EQ(b.refractory.read().to_uint(), 0u) << where;
        ++neurons;
      } else {
        b.step_en.write(true);
        b.i_in.write(sc::current_t(kat::num(w, 1)));
        edge(b.clk);
        b.step_en.write(false);
        settle();
        ASSERT_EQ(b.spike.read(), kat::num(w, 2) != 0) << where << ": spike in the cycle after the step";
        ASSERT_EQ(b.v.read().to_int64(), kat::num(w, 3)) << where;
        ASSERT_EQ(static_cast<long long>(b.refractory.read().to_uint()), kat::num(w, 4)) << where;
        spikes += kat::num(w, 2);
        ++steps;
        // The spike lasts one cycle: an edge without step_en clears it.
        edge(b.clk);
        settle();
        ASSERT_FALSE(b.spike.read()) << where;
        ASSERT_EQ(b.v.read().to_int64(), kat::num(w, 3)) << where << ": no step without step_en";
      }
    }
    EXPECT_EQ(neurons, 12);
    EXPECT_EQ(steps, 3000);
    EXPECT_GT(spikes, 10);
    EXPECT_EQ(b.n.spikes(), spikes);
  });
}

TEST(sc_pulse_generator, stdp_waveform_shape) {
  const auto w = sc::stdp_waveform(model::q_volt::from_raw(2000), 2, model::q_volt::from_raw(-1001), 4);
  std::vector<std::int16_t> raw;
  for (const auto x : w) raw.push_back(x.raw());
  // -1001 · 4/4, ·3/4 = -750.75, ·2/4 = -500.5, ·1/4 = -250.25, rounded half away from 0.
  EXPECT_EQ(raw, (std::vector<std::int16_t>{2000, 2000, -1001, -751, -501, -250}));
  EXPECT_THROW(sc::stdp_waveform(model::q_volt::zero(), -1, model::q_volt::zero(), 0), std::invalid_argument);
}

// Output follows the waveform one sample per cycle from the triggering
// edge, a trigger restarts it, rst stops it, idle in between.
TEST(sc_pulse_generator, timing_retrigger_and_reset) {
  isolated([] {
    sc_core::sc_signal<bool> clk{"clk"}, rst{"rst"}, trig{"trig"};
    sc_core::sc_signal<sc::volt_t> v{"v"};
    const std::vector<model::q_volt> wave{model::q_volt::from_raw(10), model::q_volt::from_raw(20),
                                          model::q_volt::from_raw(-30)};
    sc::pulse_generator g("g", wave, model::q_volt::from_raw(-1));
    g.clk(clk);
    g.rst(rst);
    g.trigger(trig);
    g.v(v);
    std::vector<long long> seen;
    auto cycle = [&](bool t, bool r) {
      trig.write(t);
      rst.write(r);
      edge(clk);
      settle();
      seen.push_back(v.read().to_int64());
    };
    settle();
    EXPECT_EQ(v.read().to_int64(), -1) << "idle level from the start";
    cycle(false, false);
    cycle(true, false);   // 10
    cycle(false, false);  // 20
    cycle(false, false);  // -30
    cycle(false, false);  // idle
    cycle(true, false);   // 10
    cycle(true, false);   // restarted: 10
    cycle(false, false);  // 20
    cycle(false, true);   // reset: idle
    cycle(false, false);  // idle
    EXPECT_EQ(seen, (std::vector<long long>{-1, 10, 20, -30, -1, 10, 10, 20, -1, -1}));
    EXPECT_EQ(g.pulses(), 3);
    EXPECT_FALSE(g.active());
  });
}

}  // namespace
