// ionrail::sc::memristor against the C++ model: the known-answer vectors of
// tests/kat/ replayed through the module's ports, random stimulus on the
// calibrated table compared with model::step / read_current every cycle,
// the timing (reset, hold, step enable) and the per-instance seed.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <systemc>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/memristor.hpp>

#include <ionrail/kat/kat.hpp>
#include "sc_test.hpp"

namespace {

using namespace ionrail;
using sc::testing::isolated;

std::string kat_dir() { return std::string(IONRAIL_SOURCE_DIR) + "/tests/kat"; }
std::string polymer_dir() { return std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer"; }

// One memristor driven from sc_main between sc_start calls: inputs are set,
// settle for half a period with the clock low, then the clock rises.
struct bench {
  sc_core::sc_signal<bool> clk{"clk"}, rst{"rst"}, step_en{"step_en"}, noise_en{"noise_en"};
  sc_core::sc_signal<sc::volt_t> v{"v"};
  sc_core::sc_signal<sc::state_t> state{"state"};
  sc_core::sc_signal<sc::fluct_t> fluct{"fluct"};
  sc_core::sc_signal<sc::rng_t> rng{"rng"};
  sc_core::sc_signal<sc::cond_t> g_eff{"g_eff"};
  sc_core::sc_signal<sc::current_t> current{"current"};
  sc::memristor m;

  bench(const model::table_view& t, const model::device& d) : m("m", t, d) { bind(); }
  bench(const model::table_view& t, std::uint64_t seed, model::variation_params var, model::q_state initial)
      : m("m", t, seed, var, initial) {
    bind();
  }
  void bind() {
    m.clk(clk);
    m.rst(rst);
    m.step_en(step_en);
    m.noise_en(noise_en);
    m.v(v);
    m.state(state);
    m.fluct(fluct);
    m.rng(rng);
    m.g_eff(g_eff);
    m.current(current);
  }
  void settle() { sc_core::sc_start(5, sc_core::SC_NS); }
  void edge() {
    settle();
    clk.write(true);
    settle();
    clk.write(false);
  }
  void drive(bool r, bool step, bool noise, std::int16_t volt) {
    rst.write(r);
    step_en.write(step);
    noise_en.write(noise);
    v.write(sc::volt_t(volt));
  }
};

// The outputs against a device read at voltage v.
void expect_shows(const bench& b, const model::table_view& t, const model::device& d, std::int16_t v,
                  const std::string& where) {
  EXPECT_EQ(b.state.read().to_int64(), d.state.raw()) << where;
  EXPECT_EQ(b.fluct.read().to_int64(), d.fluct.raw()) << where;
  EXPECT_EQ(b.rng.read().to_uint64(), d.rng) << where;
  EXPECT_EQ(b.g_eff.read().to_int64(), model::conductance(t, d).raw()) << where;
  EXPECT_EQ(b.current.read().to_int64(), model::read_current(t, d, model::q_volt::from_raw(v)).raw()) << where;
}

void replay_cell_kat(const std::string& file) {
  const auto lines = kat::read_lines(kat_dir() + "/" + file);
  ASSERT_FALSE(lines.empty());
  ASSERT_EQ(lines[0][0], "table");
  const model::table table = model_io::load_table(kat_dir() + "/tables/" + lines[0][1], model_io::table_format::hex);
  ASSERT_EQ(kat::checksum_hex(table), lines[0][2]) << "table and vectors disagree";
  const model::table_view t = table.view();
  bench b(t, model::device{});
  long long steps = 0, devices = 0;
  for (std::size_t k = 1; k < lines.size(); ++k) {
    const auto& w = lines[k];
    const std::string where = file + " line " + std::to_string(k + 1);
    if (w[0] == "device") {
      const model::device d = kat::device_record(w);
      b.m.set_reset_device(d);
      b.drive(true, false, false, 0);
      b.edge();
      b.drive(false, false, false, 0);
      b.settle();
      ASSERT_EQ(b.state.read().to_int64(), d.state.raw()) << where << ": reset";
      ++devices;
    } else if (w[0] == "step") {
      const auto v = static_cast<std::int16_t>(kat::num(w, 1));
      const auto v_read = static_cast<std::int16_t>(kat::num(w, 3));
      b.drive(false, true, kat::num(w, 2) != 0, v);
      b.edge();
      b.drive(false, false, false, v_read);
      b.settle();
      ASSERT_EQ(b.state.read().to_int64(), kat::num(w, 4)) << where;
      ASSERT_EQ(b.fluct.read().to_int64(), kat::num(w, 5)) << where;
      ASSERT_EQ(b.rng.read().to_uint64(), kat::unum32(w, 6)) << where;
      ASSERT_EQ(b.g_eff.read().to_int64(), kat::num(w, 7)) << where;
      ASSERT_EQ(b.current.read().to_int64(), kat::num(w, 8)) << where;
      ++steps;
    } else {
      FAIL() << where << ": unknown line " << w[0];
    }
  }
  EXPECT_EQ(devices, 8);
  EXPECT_EQ(steps, 2000);
}

TEST(sc_memristor, known_answers_noise_off) {
  isolated([] { replay_cell_kat("cell_noise_off.kat"); });
}

TEST(sc_memristor, known_answers_noise_on) {
  isolated([] { replay_cell_kat("cell_noise_on.kat"); });
}

// Random voltages (full scale, grid points, small), step enable, noise and
// resets to corner devices on the calibrated polymer table: the ports equal
// the C++ model after every edge and after every input change.
TEST(sc_memristor, random_stimulus_equals_model_on_calibrated_table) {
  isolated([] {
    const model::table table = model_io::load_table(polymer_dir(), model_io::table_format::hex);
    const model::table_view t = table.view();
    kat::rand64 r{0x5c11u};
    model::device shadow = model::make_device(7, model::variation_params::from_si(0.05, 2e-6),
                                              model::q_state::from_double(0.3), false);
    bench b(t, 7, model::variation_params::from_si(0.05, 2e-6), model::q_state::from_double(0.3));
    b.drive(false, false, false, 0);
    b.settle();
    expect_shows(b, t, shadow, 0, "start");
    model::device reset_value = shadow;
    std::int16_t v = 0;
    int noise_mode = 1;
    long long steps = 0, resets = 0;
    for (int cycle = 0; cycle < 200000; ++cycle) {
      const bool rst = r.chance(1, 500);
      if (rst) {
        reset_value = kat::stimulus_device(r, false, static_cast<unsigned>(r.next() % 10));
        b.m.set_reset_device(reset_value);
        noise_mode = static_cast<int>(r.next() % 3);
      }
      if (cycle == 0 || r.chance(1, 4)) v = kat::stimulus_volt(r, t.grid);
      const bool step = r.chance(7, 8);
      const bool noise = noise_mode == 2 ? r.chance(1, 2) : noise_mode == 1;
      b.drive(rst, step, noise, v);
      b.settle();
      expect_shows(b, t, shadow, v, "before edge of cycle " + std::to_string(cycle));
      b.edge();
      b.settle();
      if (rst) {
        shadow = reset_value;
        ++resets;
      } else if (step) {
        shadow.noise = noise;
        model::step(t, shadow, model::q_volt::from_raw(v));
        ++steps;
      }
      expect_shows(b, t, shadow, v, "after edge of cycle " + std::to_string(cycle));
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(steps, 150000);
    EXPECT_GT(resets, 100);
  });
}

// Without step_en nothing moves (not even the generator); rst reloads the
// construction-time device; the seed gives make_device's device.
TEST(sc_memristor, hold_reset_and_seed) {
  isolated([] {
    const model::table table = model_io::load_table(polymer_dir(), model_io::table_format::hex);
    const model::table_view t = table.view();
    const auto var = model::variation_params::from_si(0.05, 2e-6);
    const model::q_state s0 = model::q_state::from_double(0.25);
    bench b(t, 42, var, s0);
    const model::device want = model::make_device(42, var, s0, false);
    EXPECT_EQ(b.m.device().gain.raw(), want.gain.raw());
    EXPECT_EQ(b.m.device().g_offset.raw(), want.g_offset.raw());
    EXPECT_EQ(b.m.device().rng, want.rng);
    EXPECT_NE(model::make_device(43, var, s0, false).gain.raw(), want.gain.raw()) << "seeds must differ";
    const std::int16_t v = model::q_volt::from_double(4.0).raw();
    b.drive(false, false, true, v);
    for (int k = 0; k < 5; ++k) b.edge();
    b.settle();
    expect_shows(b, t, want, v, "held");
    b.drive(false, true, true, v);
    for (int k = 0; k < 20; ++k) b.edge();
    b.settle();
    EXPECT_GT(b.state.read().to_int64(), want.state.raw()) << "4 V pulses raise the state";
    EXPECT_NE(b.rng.read().to_uint64(), want.rng) << "noisy steps advance the generator";
    b.drive(true, true, true, v);
    b.edge();
    b.drive(false, false, false, v);
    b.settle();
    expect_shows(b, t, want, v, "after reset");
  });
}

TEST(sc_memristor, refuses_a_broken_table) {
  isolated([] {
    model::table table = model_io::load_table(polymer_dir(), model_io::table_format::hex);
    table.noise[3] = model::q_delta::from_raw(-1);
    EXPECT_THROW(sc::memristor("m", table.view(), 1), std::invalid_argument);
  });
}

}  // namespace
