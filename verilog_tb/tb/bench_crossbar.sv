// Benchmark top of one ionrail_crossbar: tb_crossbar.sv without the
// monitor outputs (which would copy every device register each cycle).
`include "table.vh"

module bench_crossbar #(
  parameter int    ROWS = 4,
  parameter int    COLS = 4,
  parameter int    LANES = 1,
  parameter        TABLE_DIR = ""  // a string, untyped like the RTL's
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
  `include "crossbar_flat_buses.svh"
endmodule
