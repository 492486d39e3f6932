// ionrail::sc::crossbar (signal level) and crossbar_tile (TLM-2.0 target)
// against the C++ crossbar (model/crossbar.hpp): tests/kat/crossbar.kat
// replayed through both, random operations compared with the golden model
// after each one, the example CPU's programming and products, the documented
// timing and the error responses.
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/crossbar.hpp>
#include <ionrail/sc/crossbar_tile.hpp>
#include <ionrail/sc/tile_driver.hpp>

#include <ionrail/kat/kat.hpp>
#include "sc_test.hpp"
#include "tile_cpu.hpp"

namespace {

using namespace ionrail;
using sc::testing::isolated;

std::string kat_dir() { return std::string(IONRAIL_SOURCE_DIR) + "/tests/kat"; }
model::table polymer() { return model_io::load_table(std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer", model_io::table_format::hex); }

std::vector<model::q_volt> volts(const std::vector<std::string>& w, std::size_t first, int n) {
  std::vector<model::q_volt> v;
  for (int k = 0; k < n; ++k) v.push_back(model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, first + k))));
  return v;
}

// ---- Signal level ----------------------------------------------------------
template <int R, int C>
struct xbar_bench {
  using X = sc::crossbar<R, C>;
  sc_core::sc_signal<bool> clk{"clk"}, rst{"rst"}, cfg_we{"cfg_we"}, cfg_noise{"cfg_noise"}, start{"start"},
      op_write{"op_write"}, relax{"relax"}, busy{"busy"}, done{"done"};
  sc_core::sc_signal<typename X::row_index_t> cfg_row{"cfg_row"};
  sc_core::sc_signal<typename X::col_index_t> cfg_col{"cfg_col"};
  sc_core::sc_signal<sc::state_t> cfg_state{"cfg_state"};
  sc_core::sc_signal<sc::fluct_t> cfg_fluct{"cfg_fluct"};
  sc_core::sc_signal<sc::gain_t> cfg_gain{"cfg_gain"};
  sc_core::sc_signal<sc::cond_t> cfg_offset{"cfg_offset"};
  sc_core::sc_signal<sc::rng_t> cfg_rng{"cfg_rng"};
  sc_core::sc_vector<sc_core::sc_signal<sc::volt_t>> v_row{"v_row", R}, v_col{"v_col", C};
  sc_core::sc_vector<sc_core::sc_signal<sc::current_t>> i_col{"i_col", C};
  X x;
  long long cycles = 0;

  xbar_bench(const model::table_view& t, int lanes) : x("x", t, lanes) {
    sc::bind_crossbar_inputs(x, clk, *this);
    x.busy(busy);
    x.done(done);
    x.i_col(i_col);
  }
  void edge() {
    sc_core::sc_start(5, sc_core::SC_NS);
    clk.write(true);
    sc_core::sc_start(5, sc_core::SC_NS);
    clk.write(false);
    ++cycles;
  }
  void settle() { sc_core::sc_start(5, sc_core::SC_NS); }
  void set_cfg(int r, int c, const model::device& d) {
    cfg_row.write(static_cast<unsigned>(r));
    cfg_col.write(static_cast<unsigned>(c));
    cfg_state.write(sc::to_port(d.state));
    cfg_fluct.write(sc::to_port(d.fluct));
    cfg_gain.write(sc::to_port(d.gain));
    cfg_offset.write(sc::to_port(d.g_offset));
    cfg_rng.write(d.rng);
    cfg_noise.write(d.noise);
  }
  void configure(int r, int c, const model::device& d) {
    set_cfg(r, c, d);
    cfg_we.write(true);
    edge();
    cfg_we.write(false);
  }
  void set_drive(bool write, bool rlx, const std::vector<model::q_volt>& vr, const std::vector<model::q_volt>& vc) {
    op_write.write(write);
    relax.write(rlx);
    for (int r = 0; r < R; ++r) v_row[r].write(sc::to_port(vr[r]));
    for (int c = 0; c < C; ++c) v_col[c].write(sc::to_port(vc.empty() ? model::q_volt::zero() : vc[c]));
  }
  // Starts an operation and clocks until done; returns the edges from the
  // start edge to the done edge, both counted.
  int op(bool write, bool rlx, const std::vector<model::q_volt>& vr, const std::vector<model::q_volt>& vc) {
    set_drive(write, rlx, vr, vc);
    start.write(true);
    edge();
    start.write(false);
    int n = 1;
    for (settle(); !done.read(); settle()) {
      edge();
      ++n;
      if (n > 10 * C) break;
    }
    return n;
  }
};

template <int R, int C>
void expect_same_array(const sc::crossbar<R, C>& x, const model::crossbar& want, const std::string& where) {
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const model::device& a = x.device(r, c);
      const model::device& b = want.at(r, c);
      ASSERT_TRUE(a.state.raw() == b.state.raw() && a.fluct.raw() == b.fluct.raw() && a.rng == b.rng &&
                  a.gain.raw() == b.gain.raw() && a.g_offset.raw() == b.g_offset.raw() && a.noise == b.noise)
          << where << ": device (" << r << ", " << c << ")";
    }
}

void replay_kat_signal_level(int lanes) {
  const auto lines = kat::read_lines(kat_dir() + "/crossbar.kat");
  ASSERT_EQ(lines[0][0], "table");
  const model::table table = model_io::load_table(kat_dir() + "/tables/" + lines[0][1], model_io::table_format::hex);
  ASSERT_EQ(kat::checksum_hex(table), lines[0][2]);
  ASSERT_EQ(lines[1][0], "crossbar");
  ASSERT_EQ(kat::num(lines[1], 1), 4);
  ASSERT_EQ(kat::num(lines[1], 2), 4);
  xbar_bench<4, 4> b(table.view(), lanes);
  b.rst.write(true);
  b.edge();
  b.rst.write(false);
  int ops = 0;
  std::vector<model::q_volt> vr, vc;
  for (std::size_t k = 2; k < lines.size(); ++k) {
    const auto& w = lines[k];
    const std::string where = "crossbar.kat entry " + std::to_string(k);
    if (w[0] == "device") {
      const model::device d = kat::device_record(w, 3);
      b.configure(static_cast<int>(kat::num(w, 1)), static_cast<int>(kat::num(w, 2)), d);
    } else if (w[0] == "write") {
      ASSERT_EQ(b.op(true, kat::num(w, 1) != 0, volts(w, 2, 4), volts(w, 6, 4)), 4 / lanes + 1) << where;
      ++ops;
    } else if (w[0] == "cells") {
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) {
          const std::size_t f = 1 + 3 * static_cast<std::size_t>(r * 4 + c);
          const model::device& d = b.x.device(r, c);
          ASSERT_EQ(d.state.raw(), kat::num(w, f)) << where << " (" << r << ", " << c << ")";
          ASSERT_EQ(d.fluct.raw(), kat::num(w, f + 1)) << where << " (" << r << ", " << c << ")";
          ASSERT_EQ(d.rng, kat::unum32(w, f + 2)) << where << " (" << r << ", " << c << ")";
        }
    } else if (w[0] == "read") {
      ASSERT_EQ(b.op(false, false, volts(w, 1, 4), {}), 4 / lanes + 1) << where;
      ++ops;
    } else if (w[0] == "currents") {
      b.settle();
      for (int c = 0; c < 4; ++c) ASSERT_EQ(b.i_col[c].read().to_int64(), kat::num(w, 1 + c)) << where << " column " << c;
    } else {
      FAIL() << where << ": unknown entry " << w[0];
    }
  }
  EXPECT_EQ(ops, 60);
}

TEST(sc_crossbar, known_answers_sequential) {
  isolated([] { replay_kat_signal_level(1); });
}
TEST(sc_crossbar, known_answers_two_lanes) {
  isolated([] { replay_kat_signal_level(2); });
}
TEST(sc_crossbar, known_answers_parallel) {
  isolated([] { replay_kat_signal_level(4); });
}

// start → done in COLS/lanes + 1 edges with busy in between and done for one
// cycle; start while busy is ignored; cfg writes while busy (the RTL's port
// conflict); rst clears the control state and the currents, not the devices.
TEST(sc_crossbar, timing_busy_done_and_cfg_priority) {
  isolated([] {
    const model::table table = polymer();
    const model::table_view t = table.view();
    xbar_bench<4, 8> b(t, 2);  // 4 groups: 5 edges per operation
    model::crossbar golden(4, 8, 99, model::variation_params::from_si(0.05, 1e-6), model::q_state::from_double(0.3), true);
    b.rst.write(true);
    b.edge();
    b.rst.write(false);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 8; ++c) b.configure(r, c, golden.at(r, c));
    expect_same_array(b.x, golden, "configured");
    std::vector<model::q_volt> vr(4, model::q_volt::from_double(3.0)), vc(8, model::q_volt::zero());
    vc[5] = model::q_volt::from_double(-2.0);
    b.set_drive(true, false, vr, vc);
    b.start.write(true);
    b.edge();
    b.settle();
    EXPECT_TRUE(b.busy.read());
    EXPECT_FALSE(b.done.read());
    // A second start while busy, with other voltages; cfg writes while busy:
    // device (1, 0) (lane 0) while group 1 steps, which takes the write port
    // of row 1, lane 0 from device (1, 2), whose step is lost (the RTL's
    // register-file conflict); device (2, 7) in the cycle its own group 3
    // steps (the cfg wins).
    b.set_drive(false, true, std::vector<model::q_volt>(4, model::q_volt::from_double(-5.0)), vc);
    b.edge();  // group 0
    b.start.write(false);
    const model::device fresh10 = model::make_device(77, model::variation_params::none(), model::q_state::from_double(0.1));
    b.configure(1, 0, fresh10);  // group 1
    b.edge();                    // group 2
    const model::device fresh = model::make_device(1234, model::variation_params::none(), model::q_state::from_double(0.7));
    b.configure(2, 7, fresh);  // group 3: busy falls, done rises
    b.settle();
    EXPECT_FALSE(b.busy.read());
    EXPECT_TRUE(b.done.read());
    b.edge();
    b.settle();
    EXPECT_FALSE(b.done.read()) << "done lasts one cycle";
    EXPECT_FALSE(b.busy.read()) << "the start while busy was ignored";
    const model::device lost = golden.at(1, 2);
    golden.write(t, vr.data(), vc.data(), false);
    ASSERT_NE(golden.at(1, 2).state.raw(), lost.state.raw()) << "the lost step would have moved it";
    golden.at(1, 2) = lost;
    golden.at(1, 0) = fresh10;
    golden.at(2, 7) = fresh;
    expect_same_array(b.x, golden, "after the write");
    // A read, then rst in the middle of the next one: control and currents
    // clear, the devices keep their state (as the RTL's register files).
    ASSERT_EQ(b.op(false, false, vr, {}), 5);
    b.settle();
    EXPECT_NE(b.i_col[0].read().to_int64(), 0);
    b.set_drive(false, false, vr, {});
    b.start.write(true);
    b.edge();
    b.start.write(false);
    b.rst.write(true);
    b.edge();
    b.rst.write(false);
    b.settle();
    EXPECT_FALSE(b.busy.read());
    for (int c = 0; c < 8; ++c) EXPECT_EQ(b.i_col[c].read().to_int64(), 0) << c;
    expect_same_array(b.x, golden, "after rst");
  });
}

// ---- TLM tile --------------------------------------------------------------
// An initiator whose thread runs a test program through a tile_driver.
struct initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<initiator> socket;
  std::function<void(sc::tile_driver&)> program;
  bool finished = false;
  initiator(sc_core::sc_module_name n, std::function<void(sc::tile_driver&)> p)
      : sc_core::sc_module(n), socket("socket"), program(std::move(p)) {
    SC_HAS_PROCESS(initiator);
    SC_THREAD(run);
  }
  void run() {
    sc::tile_driver bus(socket);
    program(bus);
    finished = true;
  }
};

void write_device(sc::tile_driver& bus, int index, const model::device& d) {
  bus.write(sc::tile_reg::dev_sel,
            {static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(d.state.raw()),
             static_cast<std::uint32_t>(d.fluct.raw()), static_cast<std::uint32_t>(d.gain.raw()),
             static_cast<std::uint32_t>(d.g_offset.raw()), d.rng, d.noise ? 1u : 0u});
}

TEST(sc_crossbar_tile, known_answers) {
  isolated([] {
    const auto lines = kat::read_lines(kat_dir() + "/crossbar.kat");
    const model::table table = model_io::load_table(kat_dir() + "/tables/" + lines[0][1], model_io::table_format::hex);
    ASSERT_EQ(kat::checksum_hex(table), lines[0][2]);
    sc::crossbar_tile<4, 4> tile("tile", table.view());
    int ops = 0, checked_cells = 0;
    initiator cpu("cpu", [&](sc::tile_driver& bus) {
      std::vector<model::q_current> last;
      for (std::size_t k = 2; k < lines.size(); ++k) {
        const auto& w = lines[k];
        const std::string where = "crossbar.kat entry " + std::to_string(k);
        if (w[0] == "device") {
          const model::device d = kat::device_record(w, 3);
          write_device(bus, static_cast<int>(kat::num(w, 1) * 4 + kat::num(w, 2)), d);
        } else if (w[0] == "write") {
          bus.pulse(volts(w, 2, 4), volts(w, 6, 4), kat::num(w, 1) != 0);
          ++ops;
        } else if (w[0] == "cells") {
          for (int i = 0; i < 16; ++i) {
            bus.write32(sc::tile_reg::dev_sel, static_cast<std::uint32_t>(i));
            const auto regs = bus.read(sc::tile_reg::dev_state, 5);  // state, fluct, gain, offset, rng
            const std::size_t f = 1 + 3 * static_cast<std::size_t>(i);
            ASSERT_EQ(static_cast<std::int32_t>(regs[0]), kat::num(w, f)) << where << " device " << i;
            ASSERT_EQ(static_cast<std::int32_t>(regs[1]), kat::num(w, f + 1)) << where << " device " << i;
            ASSERT_EQ(regs[4], kat::unum32(w, f + 2)) << where << " device " << i;
            ++checked_cells;
          }
        } else if (w[0] == "read") {
          last = bus.multiply(volts(w, 1, 4), 4);
          ++ops;
        } else if (w[0] == "currents") {
          for (int c = 0; c < 4; ++c) ASSERT_EQ(last[c].raw(), kat::num(w, 1 + c)) << where << " column " << c;
        }
      }
    });
    cpu.socket.bind(tile.socket);
    sc_core::sc_start();
    EXPECT_TRUE(cpu.finished);
    EXPECT_EQ(ops, 60);
    EXPECT_GT(checked_cells, 100);
  });
}

// Random drives (V/2 pulses, arbitrary voltages, relax, reads, device
// loads) on an 8 × 8 tile with the calibrated table: after each operation
// the tile's currents and every device equal the golden model's. The same
// sequence then goes through the signal-level crossbar (cfg port for the
// loads) and ends with the same array and currents.
TEST(sc_crossbar_tile, random_operations_equal_cpp_crossbar) {
  isolated([] {
    const model::table table = polymer();
    const model::table_view t = table.view();
    const auto var = model::variation_params::from_si(0.05, 1e-6);
    sc::crossbar_tile<8, 8> tile("tile", t, 5, var, model::q_state::from_double(0.25), true, sc::tile_timing{});
    model::crossbar golden(8, 8, 5, var, model::q_state::from_double(0.25), true);
    xbar_bench<8, 8> sig(t, 4);
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) sig.x.set_device(r, c, golden.at(r, c));
    struct event {
      int kind;  // 0 load, 1 write, 2 read
      int index;
      model::device d;
      bool relax;
      std::vector<model::q_volt> vr, vc;
      std::vector<model::q_current> currents;
    };
    std::vector<event> events;
    long long compared = 0;
    initiator cpu("cpu", [&](sc::tile_driver& bus) {
      kat::rand64 r{0x711e};
      for (int k = 0; k < 2000; ++k) {
        event e{};
        e.vr.assign(8, model::q_volt::zero());
        e.vc.assign(8, model::q_volt::zero());
        const unsigned kind = static_cast<unsigned>(r.next() % 8);
        if (kind == 0) {  // a device load through DEV_*
          e.kind = 0;
          e.index = static_cast<int>(r.in(0, 63));
          e.d = kat::stimulus_device(r, r.chance(1, 2), static_cast<unsigned>(r.next() % 10));
          write_device(bus, e.index, e.d);
          golden.data()[e.index] = e.d;
        } else if (kind <= 4) {
          e.kind = 1;
          e.relax = r.chance(1, 4);
          if (r.chance(1, 2))
            model::half_select(8, 8, static_cast<int>(r.in(0, 7)), static_cast<int>(r.in(0, 7)),
                               model::q_volt::from_raw(kat::stimulus_volt(r, t.grid)), e.vr.data(), e.vc.data());
          else
            for (int i = 0; i < 8; ++i) {
              e.vr[i] = model::q_volt::from_raw(r.chance(1, 3) ? 0 : kat::stimulus_volt(r, t.grid));
              e.vc[i] = model::q_volt::from_raw(r.chance(1, 3) ? 0 : kat::stimulus_volt(r, t.grid));
            }
          bus.pulse(e.vr, e.vc, e.relax);
          golden.write(t, e.vr.data(), e.vc.data(), e.relax);
        } else {
          e.kind = 2;
          for (auto& v : e.vr) v = model::q_volt::from_raw(r.chance(1, 4) ? 0 : kat::stimulus_volt(r, t.grid));
          e.currents = bus.multiply(e.vr, 8);
          const auto want = golden.read(t, e.vr);
          for (int c = 0; c < 8; ++c) ASSERT_EQ(e.currents[c].raw(), want[c].raw()) << "op " << k << " column " << c;
        }
        for (int i = 0; i < 64; ++i) {
          const model::device& a = tile.array().data()[i];
          const model::device& b = golden.data()[i];
          ASSERT_TRUE(a.state.raw() == b.state.raw() && a.fluct.raw() == b.fluct.raw() && a.rng == b.rng &&
                      a.gain.raw() == b.gain.raw() && a.g_offset.raw() == b.g_offset.raw() && a.noise == b.noise)
              << "op " << k << " device " << i;
        }
        ++compared;
        events.push_back(e);
      }
    });
    cpu.socket.bind(tile.socket);
    sc_core::sc_start();  // runs the initiator to its end (the bench's clock is idle)
    ASSERT_TRUE(cpu.finished);
    EXPECT_EQ(compared, 2000);
    long long reads = 0;
    for (const event& e : events) {
      if (e.kind == 0) {
        sig.configure(e.index / 8, e.index % 8, e.d);
      } else if (e.kind == 1) {
        ASSERT_EQ(sig.op(true, e.relax, e.vr, e.vc), 3);
      } else {
        ASSERT_EQ(sig.op(false, false, e.vr, {}), 3);
        sig.settle();
        for (int c = 0; c < 8; ++c) ASSERT_EQ(sig.i_col[c].read().to_int64(), e.currents[c].raw()) << "read " << reads;
        ++reads;
      }
    }
    EXPECT_GT(reads, 500);
    expect_same_array(sig.x, golden, "signal level after the sequence");
  });
}

// The example CPU: write-verify programming and matrix-vector products
// through the socket equal the golden model bit for bit.
TEST(sc_crossbar_tile, cpu_programs_and_multiplies_like_cpp_crossbar) {
  isolated([] {
    const model::table table = polymer();
    const model::table_view t = table.view();
    const auto var = model::variation_params::from_si(0.03, 0.2e-6);
    sc::crossbar_tile<4, 4> tile("tile", t, 11, var, model::q_state::from_double(0.25), true, sc::tile_timing{});
    sc::example::cpu_plan plan;
    plan.target_us = {6, 8, 10, 12, 8, 10, 12, 14, 10, 12, 14, 6, 12, 14, 6, 8};
    plan.inputs = {std::vector<model::q_volt>(4, model::q_volt::from_double(0.2)),
                   {model::q_volt::from_double(0.1), model::q_volt::from_double(-0.2), model::q_volt::from_double(0.3),
                    model::q_volt::zero()}};
    sc::example::tile_cpu cpu("cpu", t, 4, 4, tile.array(), plan);
    cpu.socket.bind(tile.socket);
    sc_core::sc_start();
    const auto& rep = cpu.report();
    ASSERT_TRUE(rep.finished);
    EXPECT_EQ(rep.mismatches, 0);
    EXPECT_GT(rep.pulses, 10);
    ASSERT_EQ(rep.products.size(), 2u);
    for (int i = 0; i < 16; ++i) {
      const model::device& a = tile.array().data()[i];
      const model::device& b = cpu.shadow().data()[i];
      EXPECT_TRUE(a.state.raw() == b.state.raw() && a.fluct.raw() == b.fluct.raw() && a.rng == b.rng) << i;
    }
    // The products are those of the programmed array: I_col = Σ_r G_rc V_r.
    for (int c = 0; c < 4; ++c) {
      double sum = 0;
      for (int r = 0; r < 4; ++r) sum += rep.programmed_us[static_cast<std::size_t>(r * 4 + c)] * plan.inputs[0][r].to_double();
      EXPECT_NEAR(rep.products[0][c].to_double(), sum, 1e-6 * (1 + sum)) << c;
    }
  });
}

// Latencies of the documented timing model, the BUSY bit and the stall of
// an access that arrives while an operation runs.
TEST(sc_crossbar_tile, timing_model) {
  isolated([] {
    const model::table table = polymer();
    sc::tile_timing timing;
    timing.clock = sc_core::sc_time(10, sc_core::SC_NS);
    timing.access_cycles = 2;
    timing.lanes = 2;  // 4 columns: 2 groups, an operation is 3 cycles
    timing.pulse_width = sc_core::sc_time(1, sc_core::SC_US);
    sc::crossbar_tile<4, 4> tile("tile", table.view(), 3, model::variation_params::none(), model::q_state::from_double(0.4),
                                 false, timing);
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_MS));
    const sc_core::sc_time ns(1, sc_core::SC_NS);
    initiator cpu("cpu", [&](sc::tile_driver& bus) {
      ASSERT_EQ(bus.read32(sc::tile_reg::id), sc::tile_reg::id_value);
      EXPECT_EQ(bus.now(), 20 * ns) << "one word: 2 cycles";
      EXPECT_EQ(bus.read32(sc::tile_reg::geometry), 4u | 4u << 16);
      EXPECT_EQ(bus.read32(sc::tile_reg::lanes), 2u);
      bus.set_rows(std::vector<model::q_volt>(4, model::q_volt::from_double(0.5)));
      EXPECT_EQ(bus.now(), 140 * ns) << "a burst of 4 words";
      bus.write32(sc::tile_reg::ctrl, sc::tile_reg::ctrl_start);  // read; ends at 160 + 30
      EXPECT_EQ(bus.now(), 160 * ns);
      EXPECT_EQ(bus.read32(sc::tile_reg::status), sc::tile_reg::status_busy) << "at 180 ns";
      const auto i = bus.read(sc::tile_reg::i_col, 8);  // waits until 190 ns, then 8 words
      EXPECT_EQ(bus.now(), 190 * ns + 8 * 20 * ns);
      EXPECT_EQ(bus.read32(sc::tile_reg::status), 0u);
      EXPECT_EQ(bus.read32(sc::tile_reg::ops), 1u);
      const std::int64_t want = tile.array().read(table.view(), std::vector<model::q_volt>(4, model::q_volt::from_double(0.5)))[1].raw();
      EXPECT_EQ(static_cast<std::int64_t>(std::uint64_t{i[2]} | std::uint64_t{i[3]} << 32), want);
      // run(): the CTRL word (busy until +50 ns), REMAINING at +40 says 1
      // cycle, the driver lets it pass, REMAINING at +70 says 0.
      const sc_core::sc_time t0 = bus.now();
      bus.run(false, false);
      EXPECT_EQ(bus.now(), t0 + 70 * ns);
      EXPECT_EQ(tile.op_cycles(), 3);
      // A write also holds the lines for the pulse width (1 µs): REMAINING
      // at +40 ns says 101 cycles.
      const sc_core::sc_time t1 = bus.now();
      bus.write32(sc::tile_reg::ctrl, sc::tile_reg::ctrl_start | sc::tile_reg::ctrl_write);
      EXPECT_EQ(bus.read32(sc::tile_reg::remaining), 101u);
      EXPECT_EQ(bus.read32(sc::tile_reg::status), sc::tile_reg::status_busy);
      bus.write32(sc::tile_reg::dev_sel, 0);  // waits for the end: t1 + 1050 ns, then 20 ns
      EXPECT_EQ(bus.now(), t1 + 1070 * ns);
      EXPECT_EQ(bus.read32(sc::tile_reg::remaining), 0u);
    });
    cpu.socket.bind(tile.socket);
    sc_core::sc_start();
    EXPECT_TRUE(cpu.finished);
  });
}

// Every malformed access is refused with the TLM response of the register
// map's list and changes nothing.
TEST(sc_crossbar_tile, error_responses) {
  isolated([] {
    const model::table table = polymer();
    sc::crossbar_tile<4, 4> tile("tile", table.view(), 3, model::variation_params::none());
    struct raw_initiator : sc_core::sc_module {
      tlm_utils::simple_initiator_socket<raw_initiator> socket{"socket"};
      std::vector<tlm::tlm_response_status> seen;
      std::uint32_t v_row0_after = 1;
      explicit raw_initiator(sc_core::sc_module_name n) : sc_core::sc_module(n) {
        SC_HAS_PROCESS(raw_initiator);
        SC_THREAD(run);
      }
      tlm::tlm_response_status go(tlm::tlm_command cmd, std::uint64_t a, std::vector<std::uint32_t> data,
                                  unsigned len = 0, unsigned char* be = nullptr, unsigned width = 0) {
        tlm::tlm_generic_payload p;
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        p.set_command(cmd);
        p.set_address(a);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(data.data()));
        p.set_data_length(len ? len : static_cast<unsigned>(4 * data.size()));
        p.set_streaming_width(width ? width : p.get_data_length());
        p.set_byte_enable_ptr(be);
        if (be) p.set_byte_enable_length(4);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(p, d);
        seen.push_back(p.get_response_status());
        return p.get_response_status();
      }
      void run() {
        unsigned char be[4] = {0xff, 0xff, 0, 0};
        go(tlm::TLM_READ_COMMAND, 0x4000, {0});                          // unmapped
        go(tlm::TLM_READ_COMMAND, 0x1002, {0});                          // misaligned
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::id, {1});               // read-only
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::i_col, {1});            // read-only
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::v_row, {7}, 0, be);     // byte enables
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::v_row, {7, 7}, 6);      // not whole words
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::v_row, {7, 7}, 8, nullptr, 4);  // streaming
        // V_ROW[0..3] then one word past the block: the whole burst is refused.
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::v_row + 4, {7, 7, 7, 7});
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::dev_sel, {16, 5});      // DEV_SEL past the array, then DEV_STATE
        go(tlm::TLM_WRITE_COMMAND, sc::tile_reg::v_row, {123});          // fine
        std::vector<std::uint32_t> back{0, 0, 0, 0};
        tlm::tlm_generic_payload p;
        sc_core::sc_time d;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(sc::tile_reg::v_row);
        p.set_data_ptr(reinterpret_cast<unsigned char*>(back.data()));
        p.set_data_length(16);
        p.set_streaming_width(16);
        socket->b_transport(p, d);
        v_row0_after = back[0] + (back[1] << 16);
      }
    } cpu("cpu");
    cpu.socket.bind(tile.socket);
    sc_core::sc_start();
    const std::vector<tlm::tlm_response_status> want{
        tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE,     tlm::TLM_COMMAND_ERROR_RESPONSE,
        tlm::TLM_COMMAND_ERROR_RESPONSE, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, tlm::TLM_BURST_ERROR_RESPONSE,
        tlm::TLM_BURST_ERROR_RESPONSE,   tlm::TLM_ADDRESS_ERROR_RESPONSE,     tlm::TLM_COMMAND_ERROR_RESPONSE,
        tlm::TLM_OK_RESPONSE};
    EXPECT_EQ(cpu.seen, want);
    EXPECT_EQ(cpu.v_row0_after, 123u) << "V_ROW[0] = 123 and V_ROW[1] untouched by the refused bursts";
    EXPECT_EQ(tile.array().at(0, 0).state.raw(), model::make_device(model::device_seed(3, 0), model::variation_params::none()).state.raw());
  });
}

}  // namespace
