// Read-out of one device, combinational, bit for bit model::conductance and
// model::read_current (step.hpp; the arithmetic is in ionrail_datapath.svh):
//   r     = sat(s + δ, 0, 2^30)                          read state
//   i     = min(r >> S, n_s − 2), f = r − (i << S)
//   G_eff = sat(g[i] + rs((g[i+1] − g[i])·f, S) + offset, 0, 2^31 − 1)   Q11.20 µS
//   I     = G_eff · V                                    Q32.31 µA, exact
// The two conductance entries come from a ROM port (ionrail_table_rom).
`include "ionrail_formats.vh"

module ionrail_cell_read #(
  parameter int N_S = 3,
  parameter int N_V = 3,
  parameter int S_LOG2_STEP = 1,
  parameter int V_LOG2_STEP = 0
) (
  input  logic signed [31:0]            s,         // Q1.30
  input  logic signed [31:0]            fluct,     // Q1.30
  input  logic signed [31:0]            g_offset,  // Q11.20 µS
  input  logic signed [15:0]            v,         // Q4.11 V
  output logic        [$clog2(N_S)-1:0] g_addr,    // i
  input  logic signed [31:0]            g_lo,      // g[i]
  input  logic signed [31:0]            g_hi,      // g[i+1]
  output logic signed [31:0]            g_eff,     // Q11.20 µS, >= 0
  output logic signed [63:0]            current    // Q32.31 µA
);
`include "ionrail_datapath.svh"

  logic [DP_S_SHIFT:0] f;
  // Two blocks: the address must not depend on the ROM's answer.
  always_comb dp_read_index(s, fluct, g_addr, f);
  always_comb dp_read(g_lo, g_hi, f, g_offset, v, g_eff, current);
endmodule
