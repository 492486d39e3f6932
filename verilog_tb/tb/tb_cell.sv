// Testbench top of one ionrail_cell: the grid and checksum from the table's
// table.vh (on the include path), TABLE_DIR set by the build (-G). This is
// how a design instantiates the cell (docs/rtl.md). The real-valued
// signals below are for the waveform viewer only: the ports in engineering
// units, which a VCD holds as `real` variables (docs/rtl.md §Waveforms).
`include "table.vh"
`include "ionrail_formats.vh"

module tb_cell #(
  parameter        TABLE_DIR = "",  // a string, untyped like the RTL's
  parameter int    SYNC_ROM = 0     // 1: the two-edge step with the tables in block RAM (ionrail_cell)
) (
  input  logic               clk,
  input  logic               rst,
  input  logic               step_en,
  input  logic               noise_en,
  input  logic signed [15:0] v,
  input  logic signed [31:0] gain,
  input  logic signed [31:0] g_offset,
  input  logic signed [31:0] s_init,
  input  logic signed [31:0] fluct_init,
  input  logic        [31:0] rng_init,
  output logic signed [31:0] state,
  output logic signed [31:0] fluct,
  output logic        [31:0] rng,
  output logic signed [31:0] g_eff,
  output logic signed [63:0] current,
  output logic               busy
);
  ionrail_cell #(
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM), .SYNC_ROM(SYNC_ROM != 0)
  ) u_cell (.*);

`ifndef SYNTHESIS
  // raw × 2^-F of each Q format: V, µS, µA, and s, δ as plain numbers.
  /* verilator lint_off UNUSEDSIGNAL */
  real v_volt, g_eff_us, g_offset_us, current_ua, state_real, fluct_real;
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    v_volt = real'(v) / real'(64'd1 << `IONRAIL_VOLT_F);
    g_eff_us = real'(g_eff) / real'(64'd1 << `IONRAIL_COND_F);
    g_offset_us = real'(g_offset) / real'(64'd1 << `IONRAIL_COND_F);
    current_ua = real'(current) / real'(64'd1 << `IONRAIL_CURRENT_F);
    state_real = real'(state) / real'(64'd1 << `IONRAIL_STATE_F);
    fluct_real = real'(fluct) / real'(64'd1 << `IONRAIL_FLUCT_F);
  end
`endif
endmodule
