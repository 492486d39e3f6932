// One ionrail::sc::memristor on the installed calibrated table, loaded at run
// time through ionrail::model_io, clocked for a few steps at 2 V; its state
// must rise and equal model::step's.
#include <cstdint>
#include <cstdio>

#include <ionrail/model/model.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/sc/memristor.hpp>
#include <systemc>

int sc_main(int, char**) {
  namespace m = ionrail::model;
  // Checks the format version, the grid and the checksum (ionrail::input_error otherwise).
  const m::table table = ionrail::model_io::load_table(IONRAIL_TABLE_DIR);
  // First rising edge at 5 ns: nine by 95 ns.
  sc_core::sc_clock clk("clk", sc_core::sc_time(10, sc_core::SC_NS), 0.5, sc_core::sc_time(5, sc_core::SC_NS), true);
  sc_core::sc_signal<bool> rst("rst"), step_en("step_en"), noise_en("noise_en");
  sc_core::sc_signal<ionrail::sc::volt_t> v("v");
  sc_core::sc_signal<ionrail::sc::state_t> state("state");
  sc_core::sc_signal<ionrail::sc::fluct_t> fluct("fluct");
  sc_core::sc_signal<ionrail::sc::rng_t> rng("rng");
  sc_core::sc_signal<ionrail::sc::cond_t> g_eff("g_eff");
  sc_core::sc_signal<ionrail::sc::current_t> current("current");
  ionrail::sc::memristor dev("dev", table.view(), 1, m::variation_params::none(), m::q_state::from_double(0.25));
  dev.clk(clk);
  dev.rst(rst);
  dev.step_en(step_en);
  dev.noise_en(noise_en);
  dev.v(v);
  dev.state(state);
  dev.fluct(fluct);
  dev.rng(rng);
  dev.g_eff(g_eff);
  dev.current(current);
  m::device shadow = dev.device();
  const m::q_volt two = m::q_volt::from_double(2.0);
  v.write(ionrail::sc::to_port(two));
  step_en.write(true);
  sc_core::sc_start(sc_core::sc_time(95, sc_core::SC_NS));
  for (int k = 0; k < 9; ++k) m::step(table.view(), shadow, two);
  const bool ok = state.read().to_int64() == shadow.state.raw() && shadow.state.to_double() > 0.25;
  std::printf("state after 9 steps at 2 V: %.6f (model::step: %.6f) %s\n", shadow.state.to_double(),
              ionrail::sc::from_port<m::q_state>(state.read()).to_double(), ok ? "ok" : "DIFFERENT");
  return ok ? 0 : 1;
}
