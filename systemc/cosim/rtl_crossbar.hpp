#pragma once
// The Verilated RTL crossbar (verilog_tb/tb/tb_crossbar.sv around
// verilog_tb/rtl/ionrail_crossbar.sv, verilated with --sc: systemc/
// CMakeLists.txt fixes ROWS, COLS, LANES and the table) behind the port
// types of ionrail::sc::crossbar<ROWS, COLS>, with the device registers the
// testbench top brings out (state, δ, generator) readable for the checker.
#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include <ionrail/sc/types.hpp>

namespace ionrail::sc::rtl {

class rtl_crossbar : public sc_core::sc_module {
 public:
  static constexpr int rows = IONRAIL_SC_RTL_XBAR_ROWS;
  static constexpr int cols = IONRAIL_SC_RTL_XBAR_COLS;
  static constexpr int lanes = IONRAIL_SC_RTL_XBAR_LANES;
  using row_index_t = sc_dt::sc_uint<index_bits(rows)>;
  using col_index_t = sc_dt::sc_uint<index_bits(cols)>;

  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;
  sc_core::sc_in<bool> cfg_we;
  sc_core::sc_in<row_index_t> cfg_row;
  sc_core::sc_in<col_index_t> cfg_col;
  sc_core::sc_in<state_t> cfg_state;
  sc_core::sc_in<fluct_t> cfg_fluct;
  sc_core::sc_in<gain_t> cfg_gain;
  sc_core::sc_in<cond_t> cfg_offset;
  sc_core::sc_in<rng_t> cfg_rng;
  sc_core::sc_in<bool> cfg_noise;
  sc_core::sc_in<bool> start;
  sc_core::sc_in<bool> op_write;
  sc_core::sc_in<bool> relax;
  sc_core::sc_vector<sc_core::sc_in<volt_t>> v_row;
  sc_core::sc_vector<sc_core::sc_in<volt_t>> v_col;
  sc_core::sc_out<bool> busy;
  sc_core::sc_out<bool> done;
  sc_core::sc_vector<sc_core::sc_out<current_t>> i_col;

  explicit rtl_crossbar(sc_core::sc_module_name name);
  ~rtl_crossbar() override;

  const char* kind() const override { return "ionrail::sc::rtl::rtl_crossbar"; }

  static std::string table_dir();
  // Device registers of the RTL (the testbench top's monitor ports).
  std::int32_t state_at(int r, int c) const;
  std::int32_t fluct_at(int r, int c) const;
  std::uint32_t rng_at(int r, int c) const;

  void open_trace(const std::string& file);
  void close_trace();

 private:
  void to_rtl();
  void from_rtl();

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ionrail::sc::rtl
