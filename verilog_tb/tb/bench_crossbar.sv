// Benchmark top of one ionrail_crossbar: tb_crossbar.sv without the
// monitor outputs (which would copy every device register each cycle).
`include "table.vh"

module bench_crossbar #(
  parameter int    ROWS = 4,
  parameter int    COLS = 4,
  parameter int    LANES = 1,
  parameter string TABLE_DIR = ""
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
  input  logic signed [15:0]      v_row [ROWS],
  input  logic signed [15:0]      v_col [COLS],
  output logic                    busy,
  output logic                    done,
  output logic signed [63:0]      i_col [COLS]
);
  ionrail_crossbar #(
    .ROWS(ROWS), .COLS(COLS), .LANES(LANES),
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM)
  ) u_xbar (.clk, .rst, .cfg_we, .cfg_row, .cfg_col, .cfg_state, .cfg_fluct, .cfg_gain, .cfg_offset, .cfg_rng,
            .cfg_noise, .start, .op_write, .relax, .v_row, .v_col, .busy, .done, .i_col);
endmodule
