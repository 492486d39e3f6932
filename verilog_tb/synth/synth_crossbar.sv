// Synthesis top of one ionrail_crossbar: the grid and checksum from the
// table's table.vh, the table directory from synth_table_dir.vh (both on the
// include path, written by scripts/synth_rtl.sh; yosys 0.23 cannot set a
// string parameter from its command line). ROWS, COLS and LANES are set with
// yosys chparam.
`include "table.vh"
`include "synth_table_dir.vh"

module synth_crossbar #(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int LANES = 1
) (
  input  logic                    clk,
  input  logic                    rst,
  input  logic                    cfg_we,
  input  logic [$clog2(ROWS)-1:0] cfg_row,
  input  logic [$clog2(COLS)-1:0] cfg_col,
  input  logic signed [31:0]      cfg_state,
  input  logic signed [31:0]      cfg_fluct,
  input  logic signed [31:0]      cfg_gain,
  input  logic signed [31:0]      cfg_offset,
  input  logic        [31:0]      cfg_rng,
  input  logic                    cfg_noise,
  input  logic                    start,
  input  logic                    op_write,
  input  logic                    relax,
  input  logic [ROWS*16-1:0]      v_row,
  input  logic [COLS*16-1:0]      v_col,
  output logic                    busy,
  output logic                    done,
  output logic [COLS*64-1:0]      i_col
);
  ionrail_crossbar #(
    .ROWS(ROWS), .COLS(COLS), .LANES(LANES),
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(`IONRAIL_SYNTH_TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM)
  ) u_xbar (
    .clk(clk), .rst(rst), .cfg_we(cfg_we), .cfg_row(cfg_row), .cfg_col(cfg_col), .cfg_state(cfg_state),
    .cfg_fluct(cfg_fluct), .cfg_gain(cfg_gain), .cfg_offset(cfg_offset), .cfg_rng(cfg_rng), .cfg_noise(cfg_noise),
    .start(start), .op_write(op_write), .relax(relax), .v_row(v_row), .v_col(v_col), .busy(busy), .done(done),
    .i_col(i_col)
  );
endmodule
