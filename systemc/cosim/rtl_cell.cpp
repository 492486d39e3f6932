#include "rtl_cell.hpp"

#include <cstdint>

#include <verilated.h>
#include <verilated_vcd_sc.h>

#include "Vsc_cell.h"

namespace ionrail::sc::rtl {

void enable_tracing() { Verilated::traceEverOn(true); }

struct rtl_cell::impl {
  Vsc_cell top{"rtl"};
  sc_core::sc_signal<sc_dt::sc_uint<16>> v{"v_u"};
  sc_core::sc_signal<sc_dt::sc_uint<32>> gain{"gain_u"}, g_offset{"g_offset_u"}, s_init{"s_init_u"},
      fluct_init{"fluct_init_u"}, rng_init{"rng_init_u"};
  sc_core::sc_signal<sc_dt::sc_uint<32>> state{"state_u"}, fluct{"fluct_u"}, rng{"rng_u"}, g_eff{"g_eff_u"};
  sc_core::sc_signal<sc_dt::sc_uint<64>> current{"current_u"};
  sc_core::sc_signal<bool> busy{"busy_u"};  // always 0: this cell is the one-cycle one (SYNC_ROM = 0)
  std::unique_ptr<VerilatedVcdSc> vcd;
};

rtl_cell::rtl_cell(sc_core::sc_module_name name)
    : sc_core::sc_module(name),
      clk("clk"), rst("rst"), step_en("step_en"), noise_en("noise_en"), v("v"), gain("gain"), g_offset("g_offset"),
      s_init("s_init"), fluct_init("fluct_init"), rng_init("rng_init"), state("state"), fluct("fluct"), rng("rng"),
      g_eff("g_eff"), current("current"), impl_(new impl) {
  Vsc_cell& t = impl_->top;
  // One-bit ports need no conversion: bound straight to ours.
  t.clk(clk);
  t.rst(rst);
  t.step_en(step_en);
  t.noise_en(noise_en);
  t.v(impl_->v);
  t.gain(impl_->gain);
  t.g_offset(impl_->g_offset);
  t.s_init(impl_->s_init);
  t.fluct_init(impl_->fluct_init);
  t.rng_init(impl_->rng_init);
  t.state(impl_->state);
  t.fluct(impl_->fluct);
  t.rng(impl_->rng);
  t.g_eff(impl_->g_eff);
  t.current(impl_->current);
  t.busy(impl_->busy);
  SC_HAS_PROCESS(rtl_cell);
  SC_METHOD(to_rtl);
  sensitive << v << gain << g_offset << s_init << fluct_init << rng_init;
  SC_METHOD(from_rtl);
  sensitive << impl_->state << impl_->fluct << impl_->rng << impl_->g_eff << impl_->current;
}

rtl_cell::~rtl_cell() { close_trace(); }

std::string rtl_cell::table_dir() { return IONRAIL_SC_RTL_CELL_TABLE; }

// sc_uint<N>(x) keeps the low N bits of the two's-complement word; sc_int<N>
// of an unsigned word sign-extends from bit N − 1: exact both ways.
void rtl_cell::to_rtl() {
  impl_->v.write(sc_dt::sc_uint<16>(static_cast<std::uint64_t>(v.read().to_int64())));
  impl_->gain.write(sc_dt::sc_uint<32>(static_cast<std::uint64_t>(gain.read().to_int64())));
  impl_->g_offset.write(sc_dt::sc_uint<32>(static_cast<std::uint64_t>(g_offset.read().to_int64())));
  impl_->s_init.write(sc_dt::sc_uint<32>(static_cast<std::uint64_t>(s_init.read().to_int64())));
  impl_->fluct_init.write(sc_dt::sc_uint<32>(static_cast<std::uint64_t>(fluct_init.read().to_int64())));
  impl_->rng_init.write(rng_init.read());
}

void rtl_cell::from_rtl() {
  state.write(state_t(impl_->state.read().to_uint64()));
  fluct.write(fluct_t(impl_->fluct.read().to_uint64()));
  rng.write(impl_->rng.read());
  g_eff.write(cond_t(impl_->g_eff.read().to_uint64()));
  current.write(current_t(impl_->current.read().to_uint64()));
}

void rtl_cell::open_trace(const std::string& file) {
  impl_->vcd.reset(new VerilatedVcdSc);
  impl_->top.trace(impl_->vcd.get(), 99);
  impl_->vcd->open(file.c_str());
}

void rtl_cell::close_trace() {
  if (impl_ && impl_->vcd) {
    impl_->vcd->close();
    impl_->vcd.reset();
  }
}

}  // namespace ionrail::sc::rtl
