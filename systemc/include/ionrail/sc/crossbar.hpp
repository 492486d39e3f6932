#pragma once
// A ROWS × COLS crossbar of compact-model devices at signal level: the
// ports, the timing and the bits of the RTL crossbar
// (verilog_tb/rtl/ionrail_crossbar.sv), computed with the golden model's
// per-column functions (model/include/ionrail/model/crossbar.hpp), so a
// testbench can drive either and compare them cycle by cycle.
//
// Operations (start = 1 at a rising edge while not busy latches v_row,
// v_col, op_write and relax):
//   write: device (r, c) sees V = sat16(v_row[r] − v_col[c]) and takes one
//          model step if V != 0 or relax (model::crossbar_write)
//   read:  i_col[c] = Σ_r read_current(device (r, c), v_row[r]), exact
//          (model::crossbar_read); devices unchanged
// `lanes` columns are processed per clock: the next COLS/lanes edges after
// the start process columns [g·lanes, (g+1)·lanes), then busy falls and
// done is high for one cycle, so an operation takes COLS/lanes + 1 cycles
// from start to done (lanes = 1: sequential, lanes = COLS: parallel).
// i_col[c] holds the last read of column c.
//
// Device registers are loaded one per cycle through the cfg port; configure
// while busy is low: as in the RTL, a cfg write takes the register-file
// write port of its (row, lane), so during a write operation the step of
// that row's device in the current group is lost (this model reproduces
// it). rst resets the control state and i_col only; the devices keep their
// state, like the contents of a memory (they start as model::device{}).
// Testbenches may also read and set devices directly (device(), set_device()).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/device.hpp>
#include <ionrail/model/formats.hpp>
#include <ionrail/model/table_view.hpp>

#include "ionrail/sc/types.hpp"

namespace ionrail::sc {

template <int ROWS, int COLS>
class crossbar : public sc_core::sc_module {
  static_assert(ROWS >= 2 && COLS >= 2 && ROWS <= model::crossbar_max_rows, "crossbar size (as the RTL's)");

 public:
  static constexpr int rows = ROWS;
  static constexpr int cols = COLS;
  using row_index_t = sc_dt::sc_uint<index_bits(ROWS)>;
  using col_index_t = sc_dt::sc_uint<index_bits(COLS)>;

  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;  // synchronous, active high
  // configuration: every register of device (cfg_row, cfg_col)
  sc_core::sc_in<bool> cfg_we;
  sc_core::sc_in<row_index_t> cfg_row;
  sc_core::sc_in<col_index_t> cfg_col;
  sc_core::sc_in<state_t> cfg_state;
  sc_core::sc_in<fluct_t> cfg_fluct;
  sc_core::sc_in<gain_t> cfg_gain;
  sc_core::sc_in<cond_t> cfg_offset;
  sc_core::sc_in<rng_t> cfg_rng;
  sc_core::sc_in<bool> cfg_noise;
  // operations
  sc_core::sc_in<bool> start;
  sc_core::sc_in<bool> op_write;  // 1: write (one model step), 0: read
  sc_core::sc_in<bool> relax;     // write: devices at 0 V step too
  sc_core::sc_vector<sc_core::sc_in<volt_t>> v_row;
  sc_core::sc_vector<sc_core::sc_in<volt_t>> v_col;
  sc_core::sc_out<bool> busy;
  sc_core::sc_out<bool> done;
  sc_core::sc_vector<sc_core::sc_out<current_t>> i_col;

  crossbar(sc_core::sc_module_name name, const model::table_view& table, int lanes = COLS)
      : sc_core::sc_module(name),
        clk("clk"), rst("rst"), cfg_we("cfg_we"), cfg_row("cfg_row"), cfg_col("cfg_col"), cfg_state("cfg_state"),
        cfg_fluct("cfg_fluct"), cfg_gain("cfg_gain"), cfg_offset("cfg_offset"), cfg_rng("cfg_rng"),
        cfg_noise("cfg_noise"), start("start"), op_write("op_write"), relax("relax"), v_row("v_row", ROWS),
        v_col("v_col", COLS), busy("busy"), done("done"), i_col("i_col", COLS),
        table_(table), lanes_(lanes), array_(ROWS, COLS),
        vr_(static_cast<std::size_t>(ROWS), model::q_volt::zero()),
        vc_(static_cast<std::size_t>(COLS), model::q_volt::zero()),
        i_(static_cast<std::size_t>(COLS), model::q_current::zero()) {
    if (lanes < 1 || COLS % lanes != 0)
      throw std::invalid_argument(std::string(this->name()) + ": lanes must divide COLS (got " +
                                  std::to_string(lanes) + ")");
    if (model::check_table(table) != model::table_status::ok)
      throw std::invalid_argument(std::string(this->name()) + ": " + model::describe(model::check_table(table)));
    SC_HAS_PROCESS(crossbar);
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }

  const char* kind() const override { return "ionrail::sc::crossbar"; }

  int lanes() const noexcept { return lanes_; }
  // Clock cycles from the start edge to the done edge.
  int op_cycles() const noexcept { return COLS / lanes_ + 1; }
  const model::device& device(int r, int c) const noexcept { return array_.at(r, c); }
  // Back door for set-up between simulation runs (not while busy).
  void set_device(int r, int c, const model::device& d) noexcept { array_.at(r, c) = d; }
  const model::crossbar& array() const noexcept { return array_; }
  const model::table_view& table() const noexcept { return table_; }

 private:
  void on_clock() {
    const bool reset = rst.read();
    // Column currents first: a read sees the devices before this edge.
    bool read_now = false;
    if (busy_ && !write_ && !reset) {
      const int c0 = group_ * lanes_;
      array_.read_cols(table_, vr_.data(), i_.data(), c0, c0 + lanes_);
      read_now = true;
    }
    // Device registers (not reset). Indices beyond the array address no
    // device, as in the RTL.
    const auto cr = static_cast<int>(cfg_row.read().to_uint());
    const auto cc = static_cast<int>(cfg_col.read().to_uint());
    const bool cfg = cfg_we.read() && cr < ROWS && cc < COLS;
    if (busy_ && write_) {
      const int c0 = group_ * lanes_;
      // The cfg write owns the write port of (cfg_row, cfg_col % lanes): the
      // device of that row and lane in the current group does not step.
      const int kc = c0 + cc % lanes_;
      const model::device keep = cfg ? array_.at(cr, kc) : model::device{};
      array_.write_cols(table_, vr_.data(), vc_.data(), relax_, c0, c0 + lanes_);
      if (cfg) array_.at(cr, kc) = keep;
    }
    if (cfg) {
      model::device d{};
      d.state = from_port<model::q_state>(cfg_state.read());
      d.fluct = from_port<model::q_fluct>(cfg_fluct.read());
      d.gain = from_port<model::q_gain>(cfg_gain.read());
      d.g_offset = from_port<model::q_cond>(cfg_offset.read());
      d.rng = static_cast<std::uint32_t>(cfg_rng.read().to_uint());
      d.noise = cfg_noise.read();
      array_.at(cr, cc) = d;
    }
    // Control.
    if (reset) {
      busy_ = done_ = write_ = relax_ = false;
      group_ = 0;
      for (auto& x : vr_) x = model::q_volt::zero();
      for (auto& x : vc_) x = model::q_volt::zero();
      for (auto& x : i_) x = model::q_current::zero();
      drive(true);
      return;
    }
    done_ = false;
    if (!busy_) {
      if (start.read()) {
        busy_ = true;
        group_ = 0;
        for (int r = 0; r < ROWS; ++r) vr_[r] = from_port<model::q_volt>(v_row[r].read());
        for (int c = 0; c < COLS; ++c) vc_[c] = from_port<model::q_volt>(v_col[c].read());
        write_ = op_write.read();
        relax_ = relax.read();
      }
    } else if (group_ == COLS / lanes_ - 1) {
      busy_ = false;
      done_ = true;
      group_ = 0;
    } else {
      ++group_;
    }
    drive(read_now);
  }

  void drive(bool currents) {
    busy.write(busy_);
    done.write(done_);
    if (currents)
      for (int c = 0; c < COLS; ++c) i_col[c].write(to_port(i_[c]));
  }

  model::table_view table_;
  int lanes_;
  model::crossbar array_;
  std::vector<model::q_volt> vr_, vc_;  // latched at start
  std::vector<model::q_current> i_;     // last read of each column
  bool busy_ = false, done_ = false, write_ = false, relax_ = false;
  int group_ = 0;
};

// Binds the inputs of a crossbar, or of anything with the same port names
// (the Verilated RTL's wrapper), to `clk` and to the same-named signals of
// `s` (a testbench, a benchmark, a co-simulation); the caller binds the
// outputs, which differ between one device under test and two.
template <class Ports, class Clock, class Signals>
void bind_crossbar_inputs(Ports& x, Clock& clk, Signals& s) {
  x.clk(clk);
  x.rst(s.rst);
  x.cfg_we(s.cfg_we);
  x.cfg_row(s.cfg_row);
  x.cfg_col(s.cfg_col);
  x.cfg_state(s.cfg_state);
  x.cfg_fluct(s.cfg_fluct);
  x.cfg_gain(s.cfg_gain);
  x.cfg_offset(s.cfg_offset);
  x.cfg_rng(s.cfg_rng);
  x.cfg_noise(s.cfg_noise);
  x.start(s.start);
  x.op_write(s.op_write);
  x.relax(s.relax);
  x.v_row(s.v_row);
  x.v_col(s.v_col);
}

}  // namespace ionrail::sc
