// Testbench top of one ionrail_crossbar: grid and checksum from table.vh,
// size, lanes and TABLE_DIR set by the build (-G). The device registers are
// brought out (hierarchical references, testbench only) so the C++ bench can
// compare every device every cycle: device (r, c) is [r][c % LANES][c / LANES].
`include "table.vh"

module tb_crossbar #(
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
  output logic signed [63:0]      i_col [COLS],
  output logic signed [31:0]      mon_state [ROWS][LANES][COLS/LANES],
  output logic signed [31:0]      mon_fluct [ROWS][LANES][COLS/LANES],
  output logic        [31:0]      mon_rng [ROWS][LANES][COLS/LANES]
);
  `include "crossbar_flat_buses.svh"
  // Device (r, c) is word c / LANES of datapath (r, c % LANES).
  for (genvar r = 0; r < ROWS; ++r) begin : g_mon_row
    for (genvar l = 0; l < LANES; ++l) begin : g_mon_lane
      for (genvar g = 0; g < COLS / LANES; ++g) begin : g_mon_grp
        assign mon_state[r][l][g] = u_xbar.g_row[r].g_lane[l].s_q[g];
        assign mon_fluct[r][l][g] = u_xbar.g_row[r].g_lane[l].fluct_q[g];
        assign mon_rng[r][l][g] = u_xbar.g_row[r].g_lane[l].rng_q[g];
      end
    end
  end
endmodule
