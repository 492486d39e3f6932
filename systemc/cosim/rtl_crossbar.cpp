#include "rtl_crossbar.hpp"

#include <cstdint>

#include <verilated.h>
#include <verilated_vcd_sc.h>

#include "Vsc_xbar.h"

namespace ionrail::sc::rtl {

namespace {
template <int N>
using u_sig = sc_core::sc_signal<sc_dt::sc_uint<N>>;
template <int N>
sc_dt::sc_uint<N> bits(std::int64_t x) {
  return sc_dt::sc_uint<N>(static_cast<std::uint64_t>(x));
}
}  // namespace

struct rtl_crossbar::impl {
  Vsc_xbar top{"rtl"};
  u_sig<32> cfg_state{"cfg_state_u"}, cfg_fluct{"cfg_fluct_u"}, cfg_gain{"cfg_gain_u"}, cfg_offset{"cfg_offset_u"},
      cfg_rng{"cfg_rng_u"};
  u_sig<16> v_row[rows], v_col[cols];
  u_sig<64> i_col[cols];
  // The testbench top's monitors: device (r, c) is [r][c % lanes][c / lanes]
  // (the RTL keeps a register file per row and lane).
  static constexpr int groups = cols / lanes;
  u_sig<32> mon_state[rows][lanes][groups], mon_fluct[rows][lanes][groups], mon_rng[rows][lanes][groups];
  std::unique_ptr<VerilatedVcdSc> vcd;
};

rtl_crossbar::rtl_crossbar(sc_core::sc_module_name name)
    : sc_core::sc_module(name),
      clk("clk"), rst("rst"), cfg_we("cfg_we"), cfg_row("cfg_row"), cfg_col("cfg_col"), cfg_state("cfg_state"),
      cfg_fluct("cfg_fluct"), cfg_gain("cfg_gain"), cfg_offset("cfg_offset"), cfg_rng("cfg_rng"),
      cfg_noise("cfg_noise"), start("start"), op_write("op_write"), relax("relax"), v_row("v_row", rows),
      v_col("v_col", cols), busy("busy"), done("done"), i_col("i_col", cols), impl_(new impl) {
  Vsc_xbar& t = impl_->top;
  t.clk(clk);
  t.rst(rst);
  t.cfg_we(cfg_we);
  t.cfg_row(cfg_row);  // sc_uint of $clog2(ROWS) bits on both sides
  t.cfg_col(cfg_col);
  t.cfg_state(impl_->cfg_state);
  t.cfg_fluct(impl_->cfg_fluct);
  t.cfg_gain(impl_->cfg_gain);
  t.cfg_offset(impl_->cfg_offset);
  t.cfg_rng(impl_->cfg_rng);
  t.cfg_noise(cfg_noise);
  t.start(start);
  t.op_write(op_write);
  t.relax(relax);
  t.busy(busy);
  t.done(done);
  for (int r = 0; r < rows; ++r) t.v_row[r](impl_->v_row[r]);
  for (int c = 0; c < cols; ++c) {
    t.v_col[c](impl_->v_col[c]);
    t.i_col[c](impl_->i_col[c]);
  }
  for (int r = 0; r < rows; ++r)
    for (int l = 0; l < lanes; ++l)
      for (int g = 0; g < impl::groups; ++g) {
        t.mon_state[r][l][g](impl_->mon_state[r][l][g]);
        t.mon_fluct[r][l][g](impl_->mon_fluct[r][l][g]);
        t.mon_rng[r][l][g](impl_->mon_rng[r][l][g]);
      }
  SC_HAS_PROCESS(rtl_crossbar);
  SC_METHOD(to_rtl);
  sensitive << cfg_state << cfg_fluct << cfg_gain << cfg_offset << cfg_rng;
  for (int r = 0; r < rows; ++r) sensitive << v_row[r];
  for (int c = 0; c < cols; ++c) sensitive << v_col[c];
  SC_METHOD(from_rtl);
  for (int c = 0; c < cols; ++c) sensitive << impl_->i_col[c];
}

rtl_crossbar::~rtl_crossbar() { close_trace(); }

std::string rtl_crossbar::table_dir() { return IONRAIL_SC_RTL_XBAR_TABLE; }

void rtl_crossbar::to_rtl() {
  impl_->cfg_state.write(bits<32>(cfg_state.read().to_int64()));
  impl_->cfg_fluct.write(bits<32>(cfg_fluct.read().to_int64()));
  impl_->cfg_gain.write(bits<32>(cfg_gain.read().to_int64()));
  impl_->cfg_offset.write(bits<32>(cfg_offset.read().to_int64()));
  impl_->cfg_rng.write(cfg_rng.read());
  for (int r = 0; r < rows; ++r) impl_->v_row[r].write(bits<16>(v_row[r].read().to_int64()));
  for (int c = 0; c < cols; ++c) impl_->v_col[c].write(bits<16>(v_col[c].read().to_int64()));
}

void rtl_crossbar::from_rtl() {
  for (int c = 0; c < cols; ++c) i_col[c].write(current_t(impl_->i_col[c].read().to_uint64()));
}

std::int32_t rtl_crossbar::state_at(int r, int c) const {
  return static_cast<std::int32_t>(impl_->mon_state[r][c % lanes][c / lanes].read().to_uint());
}
std::int32_t rtl_crossbar::fluct_at(int r, int c) const {
  return static_cast<std::int32_t>(impl_->mon_fluct[r][c % lanes][c / lanes].read().to_uint());
}
std::uint32_t rtl_crossbar::rng_at(int r, int c) const { return impl_->mon_rng[r][c % lanes][c / lanes].read().to_uint(); }

void rtl_crossbar::open_trace(const std::string& file) {
  impl_->vcd.reset(new VerilatedVcdSc);
  impl_->top.trace(impl_->vcd.get(), 99);
  impl_->vcd->open(file.c_str());
}

void rtl_crossbar::close_trace() {
  if (impl_ && impl_->vcd) {
    impl_->vcd->close();
    impl_->vcd.reset();
  }
}

}  // namespace ionrail::sc::rtl
