// Synthesis top of one ionrail_cell: the grid and checksum from the table's
// table.vh, the table directory from synth_table_dir.vh (both on the include
// path), which the synthesis script (scripts/synth_rtl.sh) writes, since
// yosys 0.23 cannot set a string parameter from its command line. NOISE = 0
// ties noise_en low, which removes the noise datapath (the generator, the
// normal deviates and their products): the cost of the noise option.
// SYNC_ROM = 1 is the two-edge cell whose step tables are block RAM.
`include "table.vh"
`include "synth_table_dir.vh"

module synth_cell #(
  parameter int NOISE = 1,
  parameter int SYNC_ROM = 0
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
    .TABLE_DIR(`IONRAIL_SYNTH_TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM), .SYNC_ROM(SYNC_ROM != 0)
  ) u_cell (
    .clk(clk), .rst(rst), .step_en(step_en), .noise_en(NOISE != 0 && noise_en), .v(v), .gain(gain), .g_offset(g_offset),
    .s_init(s_init), .fluct_init(fluct_init), .rng_init(rng_init), .state(state), .fluct(fluct), .rng(rng),
    .g_eff(g_eff), .current(current), .busy(busy)
  );
endmodule
