#pragma once
// The Verilated RTL cell (verilog_tb/rtl/ionrail_cell.sv, verilated with
// --sc against one table: systemc/CMakeLists.txt) behind the port types of
// ionrail::sc::memristor, so a testbench drives both with the same signals.
// Verilator gives sc_uint ports; this wrapper converts to and from the
// signed sc_int words in delta cycles (no clock delay). The Verilated model's
// headers stay out of this header (they do not compile warning-free).
#include <memory>
#include <string>

#include <systemc>

#include <ionrail/sc/types.hpp>

namespace ionrail::sc::rtl {

// Call before any Verilated model is constructed when a VCD will be wanted.
void enable_tracing();

class rtl_cell : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;
  sc_core::sc_in<bool> step_en;
  sc_core::sc_in<bool> noise_en;
  sc_core::sc_in<volt_t> v;
  sc_core::sc_in<gain_t> gain;         // the device's variation, read every step
  sc_core::sc_in<cond_t> g_offset;
  sc_core::sc_in<state_t> s_init;      // loaded by rst
  sc_core::sc_in<fluct_t> fluct_init;  // loaded by rst
  sc_core::sc_in<rng_t> rng_init;      // loaded by rst

  sc_core::sc_out<state_t> state;
  sc_core::sc_out<fluct_t> fluct;
  sc_core::sc_out<rng_t> rng;
  sc_core::sc_out<cond_t> g_eff;
  sc_core::sc_out<current_t> current;

  explicit rtl_cell(sc_core::sc_module_name name);
  ~rtl_cell() override;

  const char* kind() const override { return "ionrail::sc::rtl::rtl_cell"; }

  // The table directory the model was verilated with.
  static std::string table_dir();
  // Verilator's own VCD of the model's internals (after elaboration).
  void open_trace(const std::string& file);
  void close_trace();

 private:
  void to_rtl();
  void from_rtl();

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ionrail::sc::rtl
