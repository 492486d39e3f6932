// Co-simulation: the SystemC models next to the Verilated RTL in one
// sc_main, on the same random stimulus, with a checker that stops at the
// first difference.
//   cell:     ionrail::sc::memristor  vs  verilog_tb/rtl/ionrail_cell.sv
//             (table tests/kat/tables/kat)
//   crossbar: ionrail::sc::crossbar<4, 4> (2 lanes)  vs  ionrail_crossbar.sv
//             through verilog_tb/tb/tb_crossbar.sv (table tests/kat/tables/extreme_b)
// Stimulus changes at the falling clock edge: voltages from full scale to
// grid points and small values, held for a few cycles as pulses; step
// enable, noise on/off; resets to new devices at the corners (s at 0 or 1,
// δ at ±1, gains and offsets at the ends of int32, state outside [0, 1],
// generator state 0); crossbar device loads (also while busy), reads and
// writes (V/2 and arbitrary drives, relax), starts while busy (ignored).
// The checker compares every output at both clock edges (at the rising
// edge the settled values before it, at the falling edge those after it)
// and the crossbar's device registers at the falling edge. On a difference
// it prints the cycle, the inputs and both outputs and the program exits 1.
//
// Usage: sc_cosim [--cycles N] [--seed S] [--trace DIR] [--fault-cycle K [--fault-in cell|crossbar]] | -h | --help
//   --trace DIR      creates DIR if needed (like mkdir -p), writes DIR/cosim_sc.vcd (sc_trace of both sides' ports)
//                    and Verilator's DIR/cosim_rtl_cell.vcd, DIR/cosim_rtl_xbar.vcd
//   --fault-cycle K  a deliberate difference that the checker must catch: from
//                    cycle K on the SystemC cell sees one LSB more voltage
//                    (cell, the default), or at cycle K one bit of a SystemC
//                    crossbar device's state flips (crossbar)
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <systemc>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/crossbar.hpp>
#include <ionrail/sc/memristor.hpp>

#include <ionrail/kat/kat.hpp>
#include "rtl_cell.hpp"
#include "rtl_crossbar.hpp"

#include "example_args.hpp"

namespace {

using namespace ionrail;

struct options {
  long long cycles = 100000;
  std::uint64_t seed = 1;
  std::string trace;
  long long fault_cycle = -1;
  std::string fault_in = "cell";
};

// Usage on stdout with exit 0 (--help) or on stderr with exit 2 (a usage error).
[[noreturn]] void usage(const char* argv0, int code = 2) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: %s [--cycles N] [--seed S] [--trace DIR] [--fault-cycle K [--fault-in cell|crossbar]]\n"
               "  --cycles N       clock cycles to compare (100000)\n"
               "  --seed S         seed of the random stimulus (1)\n"
               "  --trace DIR      write DIR/cosim_sc.vcd, DIR/cosim_rtl_cell.vcd and DIR/cosim_rtl_xbar.vcd\n"
               "                   (DIR is created if it does not exist)\n"
               "  --fault-cycle K  inject a difference at cycle K that the checker must catch\n"
               "  --fault-in W     where: cell (default) or crossbar\n"
               "  -h, --help       this text\n"
               "exit status: 0 pass, 1 a difference, 2 usage error\n",
               argv0);
  throw ionrail::sc_examples::usage_exit{code};
}

[[noreturn]] void usage_error(const char* argv0, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", argv0, why.c_str());
  usage(argv0, 2);
}

options parse(int argc, char** argv) {
  options o;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "-h" || a == "--help") usage(argv[0], 0);
    if (a != "--cycles" && a != "--seed" && a != "--trace" && a != "--fault-cycle" && a != "--fault-in")
      usage_error(argv[0], "unknown option '" + a + "'");
    if (k + 1 >= argc) usage_error(argv[0], a + " needs a value");
    const std::string value = argv[++k];
    // A whole non-negative decimal number, or a usage error.
    auto number = [&]() -> long long {
      std::size_t used = 0;
      long long n = -1;
      try {
        n = std::stoll(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != value.size() || n < 0)
        usage_error(argv[0], a + " needs a non-negative whole number, not '" + value + "'");
      return n;
    };
    if (a == "--cycles")
      o.cycles = number();
    else if (a == "--seed")
      o.seed = static_cast<std::uint64_t>(number());
    else if (a == "--trace")
      o.trace = value;
    else if (a == "--fault-cycle")
      o.fault_cycle = number();
    else if (value == "cell" || value == "crossbar")
      o.fault_in = value;
    else
      usage_error(argv[0], "--fault-in takes cell or crossbar, not '" + value + "'");
  }
  return o;
}

// Creates the trace directory like `mkdir -p` (SystemC and Verilator only
// open files in it); exits 2 naming the path when that is impossible.
void make_trace_dir(const char* argv0, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    std::fprintf(stderr, "%s: --trace %s: cannot create the trace directory: %s\n", argv0, dir.c_str(),
                 ec ? ec.message().c_str() : "a file of that name is in the way");
    throw ionrail::sc_examples::usage_exit{2};
  }
}

struct verdict {
  bool failed = false;
};

// ---- Cell --------------------------------------------------------------------
class cell_pair : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_signal<bool> rst{"rst"}, step_en{"step_en"}, noise_en{"noise_en"};
  sc_core::sc_signal<sc::volt_t> v_sc{"v_sc"}, v_rtl{"v_rtl"};
  sc_core::sc_signal<sc::gain_t> gain{"gain"};
  sc_core::sc_signal<sc::cond_t> g_offset{"g_offset"};
  sc_core::sc_signal<sc::state_t> s_init{"s_init"};
  sc_core::sc_signal<sc::fluct_t> fluct_init{"fluct_init"};
  sc_core::sc_signal<sc::rng_t> rng_init{"rng_init"};
  sc_core::sc_signal<sc::state_t> state_sc{"state_sc"}, state_rtl{"state_rtl"};
  sc_core::sc_signal<sc::fluct_t> fluct_sc{"fluct_sc"}, fluct_rtl{"fluct_rtl"};
  sc_core::sc_signal<sc::rng_t> rng_sc{"rng_sc"}, rng_rtl{"rng_rtl"};
  sc_core::sc_signal<sc::cond_t> g_eff_sc{"g_eff_sc"}, g_eff_rtl{"g_eff_rtl"};
  sc_core::sc_signal<sc::current_t> current_sc{"current_sc"}, current_rtl{"current_rtl"};
  sc::memristor sc_cell;
  sc::rtl::rtl_cell rtl_cell;
  long long edges = 0, cycles = 0, steps = 0, resets = 0;

  cell_pair(sc_core::sc_module_name name, const model::table_view& t, const options& o, verdict& v)
      : sc_core::sc_module(name), clk("clk"), sc_cell("sc_cell", t, model::device{}), rtl_cell("rtl_cell"),
        table_(t), opt_(o), verdict_(v), rand_{0x636f73696dULL ^ (o.seed * 0x9E3779B97F4A7C15ULL)} {
    sc_cell.clk(clk);
    sc_cell.rst(rst);
    sc_cell.step_en(step_en);
    sc_cell.noise_en(noise_en);
    sc_cell.v(v_sc);
    sc_cell.state(state_sc);
    sc_cell.fluct(fluct_sc);
    sc_cell.rng(rng_sc);
    sc_cell.g_eff(g_eff_sc);
    sc_cell.current(current_sc);
    rtl_cell.clk(clk);
    rtl_cell.rst(rst);
    rtl_cell.step_en(step_en);
    rtl_cell.noise_en(noise_en);
    rtl_cell.v(v_rtl);
    rtl_cell.gain(gain);
    rtl_cell.g_offset(g_offset);
    rtl_cell.s_init(s_init);
    rtl_cell.fluct_init(fluct_init);
    rtl_cell.rng_init(rng_init);
    rtl_cell.state(state_rtl);
    rtl_cell.fluct(fluct_rtl);
    rtl_cell.rng(rng_rtl);
    rtl_cell.g_eff(g_eff_rtl);
    rtl_cell.current(current_rtl);
    SC_HAS_PROCESS(cell_pair);
    SC_THREAD(stimulus);
    SC_METHOD(check);
    sensitive << clk;
    dont_initialize();
  }

  void trace(sc_core::sc_trace_file* f) const {
    sc_core::sc_trace(f, rst, "cell.rst");
    sc_core::sc_trace(f, step_en, "cell.step_en");
    sc_core::sc_trace(f, noise_en, "cell.noise_en");
    sc_core::sc_trace(f, v_sc, "cell.v_sc");
    sc_core::sc_trace(f, v_rtl, "cell.v_rtl");
    sc_core::sc_trace(f, state_sc, "cell.state_sc");
    sc_core::sc_trace(f, state_rtl, "cell.state_rtl");
    sc_core::sc_trace(f, fluct_sc, "cell.fluct_sc");
    sc_core::sc_trace(f, fluct_rtl, "cell.fluct_rtl");
    sc_core::sc_trace(f, g_eff_sc, "cell.g_eff_sc");
    sc_core::sc_trace(f, g_eff_rtl, "cell.g_eff_rtl");
    sc_core::sc_trace(f, current_sc, "cell.current_sc");
    sc_core::sc_trace(f, current_rtl, "cell.current_rtl");
  }

 private:
  // A new device at a corner (kat::stimulus_device) or beyond the model's
  // ranges, as the RTL bench draws them.
  model::device new_device() {
    kat::rand64& r = rand_;
    model::device d = kat::stimulus_device(r, false, static_cast<unsigned>(r.next() % 10));
    if (r.chance(1, 4)) d.gain = model::q_gain::from_raw(static_cast<std::int32_t>(r.in(kat::i32_min, kat::i32_max)));
    if (r.chance(1, 4)) d.g_offset = model::q_cond::from_raw(static_cast<std::int32_t>(r.in(kat::i32_min, kat::i32_max)));
    if (r.chance(1, 16)) d.state = model::q_state::from_raw(static_cast<std::int32_t>(r.in(kat::i32_min, kat::i32_max)));
    if (r.chance(1, 16)) d.fluct = model::q_fluct::from_raw(static_cast<std::int32_t>(r.in(kat::i32_min, kat::i32_max)));
    if (r.chance(1, 64)) d.rng = 0;
    return d;
  }

  void stimulus() {
    kat::rand64& r = rand_;
    std::int16_t v = 0;
    int noise_mode = 0;
    for (long long n = 0;; ++n) {
      wait(clk.negedge_event());
      if (n == 1) armed_ = true;  // from here on both sides have been reset
      const bool reset = n == 0 || r.chance(1, 400);
      model::device d{};
      if (reset) {
        d = new_device();
        sc_cell.set_reset_device(d);
        s_init.write(sc::to_port(d.state));
        fluct_init.write(sc::to_port(d.fluct));
        rng_init.write(d.rng);
        noise_mode = static_cast<int>(r.next() % 3);
      }
      if (n == 0 || r.chance(1, 4)) v = kat::stimulus_volt(r, table_.grid);
      rst.write(reset);
      step_en.write(r.chance(7, 8));
      noise_en.write(noise_mode == 2 ? r.chance(1, 2) : noise_mode == 1);
      v_rtl.write(sc::volt_t(v));
      const bool fault = opt_.fault_in == "cell" && opt_.fault_cycle >= 0 && n >= opt_.fault_cycle;
      v_sc.write(sc::volt_t(fault ? (v == 32767 ? v - 1 : v + 1) : v));
      if (reset) {
        // The RTL reads gain and offset as inputs, the SystemC cell loads them
        // with the device at the reset edge: change them right after it.
        wait(clk.posedge_event());
        gain.write(sc::to_port(d.gain));
        g_offset.write(sc::to_port(d.g_offset));
      }
    }
  }

  void check() {
    const bool rising = clk.read();
    if (rising) ++cycles;
    if (!armed_ || verdict_.failed) return;
    ++edges;
    if (rising && rst.read()) ++resets;
    if (rising && !rst.read() && step_en.read()) ++steps;
    if (state_sc.read() == state_rtl.read() && fluct_sc.read() == fluct_rtl.read() && rng_sc.read() == rng_rtl.read() &&
        g_eff_sc.read() == g_eff_rtl.read() && current_sc.read() == current_rtl.read())
      return;
    verdict_.failed = true;
    std::printf("MISMATCH cell at cycle %lld (%s clock edge)\n", cycles, rising ? "rising" : "falling");
    std::printf("  inputs: rst=%d step_en=%d noise_en=%d v_sc=%lld v_rtl=%lld gain=%lld"
                " g_offset=%lld s_init=%lld fluct_init=%lld rng_init=%llu\n",
                rst.read(), step_en.read(), noise_en.read(), v_sc.read().to_int64(), v_rtl.read().to_int64(),
                gain.read().to_int64(), g_offset.read().to_int64(), s_init.read().to_int64(),
                fluct_init.read().to_int64(), rng_init.read().to_uint64());
    auto show = [](const char* who, std::int64_t s, std::int64_t f, std::uint64_t g, std::int64_t ge, std::int64_t i) {
      std::printf("  %-8s state=%" PRId64 " fluct=%" PRId64 " rng=%" PRIu64 " g_eff=%" PRId64 " current=%" PRId64 "\n",
                  who, s, f, g, ge, i);
    };
    show("SystemC:", state_sc.read().to_int64(), fluct_sc.read().to_int64(), rng_sc.read().to_uint64(),
         g_eff_sc.read().to_int64(), current_sc.read().to_int64());
    show("RTL:", state_rtl.read().to_int64(), fluct_rtl.read().to_int64(), rng_rtl.read().to_uint64(),
         g_eff_rtl.read().to_int64(), current_rtl.read().to_int64());
    sc_core::sc_stop();
  }

  model::table_view table_;
  const options& opt_;
  verdict& verdict_;
  kat::rand64 rand_;
  bool armed_ = false;
};

// ---- Crossbar ----------------------------------------------------------------
class xbar_pair : public sc_core::sc_module {
 public:
  static constexpr int rows = sc::rtl::rtl_crossbar::rows;
  static constexpr int cols = sc::rtl::rtl_crossbar::cols;
  using sc_xbar = sc::crossbar<rows, cols>;
  static_assert(std::is_same_v<sc_xbar::row_index_t, sc::rtl::rtl_crossbar::row_index_t>, "same index ports");

  sc_core::sc_in<bool> clk;
  sc_core::sc_signal<bool> rst{"rst"}, cfg_we{"cfg_we"}, cfg_noise{"cfg_noise"}, start{"start"}, op_write{"op_write"},
      relax{"relax"};
  sc_core::sc_signal<sc_xbar::row_index_t> cfg_row{"cfg_row"};
  sc_core::sc_signal<sc_xbar::col_index_t> cfg_col{"cfg_col"};
  sc_core::sc_signal<sc::state_t> cfg_state{"cfg_state"};
  sc_core::sc_signal<sc::fluct_t> cfg_fluct{"cfg_fluct"};
  sc_core::sc_signal<sc::gain_t> cfg_gain{"cfg_gain"};
  sc_core::sc_signal<sc::cond_t> cfg_offset{"cfg_offset"};
  sc_core::sc_signal<sc::rng_t> cfg_rng{"cfg_rng"};
  sc_core::sc_vector<sc_core::sc_signal<sc::volt_t>> v_row{"v_row", rows}, v_col{"v_col", cols};
  sc_core::sc_signal<bool> busy_sc{"busy_sc"}, busy_rtl{"busy_rtl"}, done_sc{"done_sc"}, done_rtl{"done_rtl"};
  sc_core::sc_vector<sc_core::sc_signal<sc::current_t>> i_sc{"i_sc", cols}, i_rtl{"i_rtl", cols};
  sc_xbar sc_x;
  sc::rtl::rtl_crossbar rtl_x;
  long long cycles = 0, writes = 0, reads = 0, loads = 0, resets = 0, ignored_starts = 0;

  xbar_pair(sc_core::sc_module_name name, const model::table_view& t, const options& o, verdict& v)
      : sc_core::sc_module(name), clk("clk"), sc_x("sc_x", t, sc::rtl::rtl_crossbar::lanes), rtl_x("rtl_x"), table_(t),
        opt_(o), verdict_(v), rand_{0x78626172ULL ^ (o.seed * 0xD1B54A32D192ED03ULL)} {
    bind(sc_x);
    bind(rtl_x);
    sc_x.busy(busy_sc);
    sc_x.done(done_sc);
    sc_x.i_col(i_sc);
    rtl_x.busy(busy_rtl);
    rtl_x.done(done_rtl);
    rtl_x.i_col(i_rtl);
    SC_HAS_PROCESS(xbar_pair);
    SC_THREAD(stimulus);
    SC_METHOD(check);
    sensitive << clk;
    dont_initialize();
  }

  void trace(sc_core::sc_trace_file* f) const {
    sc_core::sc_trace(f, start, "xbar.start");
    sc_core::sc_trace(f, op_write, "xbar.op_write");
    sc_core::sc_trace(f, cfg_we, "xbar.cfg_we");
    sc_core::sc_trace(f, busy_sc, "xbar.busy_sc");
    sc_core::sc_trace(f, busy_rtl, "xbar.busy_rtl");
    sc_core::sc_trace(f, done_sc, "xbar.done_sc");
    sc_core::sc_trace(f, done_rtl, "xbar.done_rtl");
    for (int c = 0; c < cols; ++c) {
      sc_core::sc_trace(f, i_sc[c], "xbar.i_sc_" + std::to_string(c));
      sc_core::sc_trace(f, i_rtl[c], "xbar.i_rtl_" + std::to_string(c));
    }
  }

 private:
  template <class X>
  void bind(X& x) {
    sc::bind_crossbar_inputs(x, clk, *this);
  }

  void load(int r, int c, const model::device& d) {
    cfg_we.write(true);
    cfg_row.write(static_cast<unsigned>(r));
    cfg_col.write(static_cast<unsigned>(c));
    cfg_state.write(sc::to_port(d.state));
    cfg_fluct.write(sc::to_port(d.fluct));
    cfg_gain.write(sc::to_port(d.gain));
    cfg_offset.write(sc::to_port(d.g_offset));
    cfg_rng.write(d.rng);
    cfg_noise.write(d.noise);
    ++loads;
  }

  void stimulus() {
    kat::rand64& r = rand_;
    int to_configure = rows * cols;  // at the start and after a reset: load every device, one per cycle
    for (long long n = 0;; ++n) {
      wait(clk.negedge_event());
      if (opt_.fault_in == "crossbar" && n == opt_.fault_cycle) {
        model::device d = sc_x.device(1, 1);
        d.state = model::q_state::from_raw(d.state.raw() ^ 1);
        sc_x.set_device(1, 1, d);
      }
      const bool reset = r.chance(1, 20000);
      rst.write(reset);
      cfg_we.write(false);
      start.write(false);
      if (reset) {
        ++resets;
        to_configure = rows * cols;
        continue;
      }
      if (to_configure > 0) {
        --to_configure;
        const int idx = rows * cols - 1 - to_configure;
        load(idx / cols, idx % cols, kat::stimulus_device(r, r.chance(1, 2), static_cast<unsigned>(r.next() % 10)));
        continue;
      }
      if (r.chance(1, 16))
        load(static_cast<int>(r.in(0, rows - 1)), static_cast<int>(r.in(0, cols - 1)),
             kat::stimulus_device(r, r.chance(1, 2), static_cast<unsigned>(r.next() % 10)));
      // New drive voltages most cycles, also while busy (the crossbar
      // latched its own at the start).
      if (r.chance(3, 4)) {
        std::vector<model::q_volt> vr(rows), vc(cols);
        switch (r.next() % 3) {
          case 0:
            model::half_select(rows, cols, static_cast<int>(r.in(0, rows - 1)), static_cast<int>(r.in(0, cols - 1)),
                               model::q_volt::from_raw(kat::stimulus_volt(r, table_.grid)), vr.data(), vc.data());
            break;
          default:
            for (auto& x : vr) x = model::q_volt::from_raw(r.chance(1, 3) ? 0 : kat::stimulus_volt(r, table_.grid));
            for (auto& x : vc) x = model::q_volt::from_raw(r.chance(1, 3) ? 0 : kat::stimulus_volt(r, table_.grid));
            break;
        }
        for (int i = 0; i < rows; ++i) v_row[i].write(sc::to_port(vr[i]));
        for (int i = 0; i < cols; ++i) v_col[i].write(sc::to_port(vc[i]));
        write_next_ = r.chance(1, 2);
        op_write.write(write_next_);
        relax.write(r.chance(1, 3));
      }
      const bool busy = busy_sc.read();
      if (r.chance(busy ? 1 : 2, busy ? 8 : 3)) {
        start.write(true);
        if (busy)
          ++ignored_starts;
        else
          ++(write_next_ ? writes : reads);
      }
    }
  }

  void check() {
    const bool rising = clk.read();
    if (rising) ++cycles;
    if (verdict_.failed) return;
    bool same = busy_sc.read() == busy_rtl.read() && done_sc.read() == done_rtl.read();
    for (int c = 0; c < cols; ++c) same = same && i_sc[c].read() == i_rtl[c].read();
    int bad_r = -1, bad_c = -1;
    // The SystemC crossbar's registers change inside its clock process, so
    // they are compared half a cycle after the edge.
    if (!rising)
      for (int rr = 0; rr < rows && bad_r < 0; ++rr)
        for (int cc = 0; cc < cols; ++cc) {
          const model::device& d = sc_x.device(rr, cc);
          if (d.state.raw() != rtl_x.state_at(rr, cc) || d.fluct.raw() != rtl_x.fluct_at(rr, cc) ||
              d.rng != rtl_x.rng_at(rr, cc)) {
            bad_r = rr;
            bad_c = cc;
            break;
          }
        }
    if (same && bad_r < 0) return;
    verdict_.failed = true;
    std::printf("MISMATCH crossbar at cycle %lld (%s clock edge)\n", cycles, rising ? "rising" : "falling");
    std::printf("  inputs: rst=%d start=%d op_write=%d relax=%d cfg_we=%d cfg=(%u, %u) v_row=", rst.read(),
                start.read(), op_write.read(), relax.read(), cfg_we.read(), cfg_row.read().to_uint(),
                cfg_col.read().to_uint());
    for (int i = 0; i < rows; ++i) std::printf(" %lld", v_row[i].read().to_int64());
    std::printf(" v_col=");
    for (int i = 0; i < cols; ++i) std::printf(" %lld", v_col[i].read().to_int64());
    std::printf("\n  SystemC: busy=%d done=%d i_col=", busy_sc.read(), done_sc.read());
    for (int c = 0; c < cols; ++c) std::printf(" %lld", i_sc[c].read().to_int64());
    std::printf("\n  RTL:     busy=%d done=%d i_col=", busy_rtl.read(), done_rtl.read());
    for (int c = 0; c < cols; ++c) std::printf(" %lld", i_rtl[c].read().to_int64());
    std::printf("\n");
    if (bad_r >= 0) {
      const model::device& d = sc_x.device(bad_r, bad_c);
      std::printf("  device (%d, %d): SystemC state=%" PRId32 " fluct=%" PRId32 " rng=%" PRIu32 "; RTL state=%" PRId32
                  " fluct=%" PRId32 " rng=%" PRIu32 "\n",
                  bad_r, bad_c, d.state.raw(), d.fluct.raw(), d.rng, rtl_x.state_at(bad_r, bad_c),
                  rtl_x.fluct_at(bad_r, bad_c), rtl_x.rng_at(bad_r, bad_c));
    }
    sc_core::sc_stop();
  }

  model::table_view table_;
  const options& opt_;
  verdict& verdict_;
  kat::rand64 rand_;
  bool write_next_ = false;  // op_write as last written (the signal shows it a delta later)
};

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    // Only the checker speaks: no info messages (sc_stop's "Simulation
    // stopped by user", the trace file's time unit); warnings and errors stay.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    const options o = parse(argc, argv);
    if (!o.trace.empty()) make_trace_dir(argv[0], o.trace);
    const model::table cell_table = model_io::load_table(sc::rtl::rtl_cell::table_dir(), model_io::table_format::hex);
    const model::table xbar_table = model_io::load_table(sc::rtl::rtl_crossbar::table_dir(), model_io::table_format::hex);
    if (!o.trace.empty()) sc::rtl::enable_tracing();
    verdict v;
    sc_core::sc_clock clk("clk", sc_core::sc_time(10, sc_core::SC_NS));
    cell_pair cell("cell", cell_table.view(), o, v);
    xbar_pair xbar("xbar", xbar_table.view(), o, v);
    cell.clk(clk);
    xbar.clk(clk);
    sc_core::sc_trace_file* vcd = nullptr;
    if (!o.trace.empty()) {
      vcd = sc_core::sc_create_vcd_trace_file((o.trace + "/cosim_sc").c_str());
      vcd->set_time_unit(1, sc_core::SC_NS);
      sc_core::sc_trace(vcd, clk, "clk");
      cell.trace(vcd);
      xbar.trace(vcd);
    }
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // Verilator traces after elaboration
    if (!o.trace.empty()) {
      cell.rtl_cell.open_trace(o.trace + "/cosim_rtl_cell.vcd");
      xbar.rtl_x.open_trace(o.trace + "/cosim_rtl_xbar.vcd");
    }
    // The last compared edge is the rising edge of cycle o.cycles.
    sc_core::sc_start(sc_core::sc_time(10.0 * static_cast<double>(o.cycles) + 1.0, sc_core::SC_NS));
    cell.rtl_cell.close_trace();
    xbar.rtl_x.close_trace();
    if (vcd) sc_core::sc_close_vcd_trace_file(vcd);
    if (v.failed) {
      std::printf("FAIL sc_cosim (seed %llu)\n", static_cast<unsigned long long>(o.seed));
      return 1;
    }
    std::printf("cell (table %s): %lld cycles, %lld clock edges compared, %lld steps, %lld resets\n",
                sc::rtl::rtl_cell::table_dir().c_str(), cell.cycles, cell.edges, cell.steps, cell.resets);
    std::printf("crossbar %dx%d, %d lanes (table %s): %lld cycles compared, %lld writes, %lld reads, "
                "%lld device loads, %lld starts while busy, %lld resets\n",
                xbar_pair::rows, xbar_pair::cols, sc::rtl::rtl_crossbar::lanes, sc::rtl::rtl_crossbar::table_dir().c_str(),
                xbar.cycles, xbar.writes, xbar.reads, xbar.loads, xbar.ignored_starts, xbar.resets);
    std::printf("PASS sc_cosim: 0 differences (seed %llu)\n", static_cast<unsigned long long>(o.seed));
    return 0;
  } catch (const ionrail::sc_examples::usage_exit& u) {
    return u.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sc_cosim: %s\n", e.what());
    return 1;
  }
}
