// Read-out of one device, combinational, bit for bit model::conductance and
// model::read_current (step.hpp):
//   r     = sat(s + δ, 0, 2^30)                          read state
//   i     = min(r >> S, n_s − 2), f = r − (i << S)
//   G     = g[i] + rs((g[i+1] − g[i])·f, S)              Q11.20 µS
//   G_eff = sat(G + offset, 0, 2^31 − 1)
//   I     = G_eff · V                                    Q32.31 µA, exact (47 bits used)
// The two conductance entries come from a ROM port (ionrail_table_rom).
module ionrail_cell_read
  import ionrail_pkg::*;
#(
  parameter int N_S = 3,
  parameter int S_LOG2_STEP = 1
) (
  input  logic signed [31:0]           s,         // Q1.30
  input  logic signed [31:0]           fluct,     // Q1.30
  input  logic signed [31:0]           g_offset,  // Q11.20 µS
  input  logic signed [15:0]           v,         // Q4.11 V
  output logic        [$clog2(N_S)-1:0] g_addr,   // i
  input  logic signed [31:0]           g_lo,      // g[i]
  input  logic signed [31:0]           g_hi,      // g[i+1]
  output logic signed [31:0]           g_eff,     // Q11.20 µS, >= 0
  output logic signed [63:0]           current    // Q32.31 µA
);
  localparam int S_SHIFT = STATE_F - S_LOG2_STEP;
  localparam int IW = $clog2(N_S);

  logic [30:0]      r;     // [0, 2^30]
  logic [IW-1:0]    i_s;
  logic [S_SHIFT:0] f_s;
  always_comb begin
    r = 31'(sat(64'(s) + 64'(fluct), 0, STATE_ONE));
    i_s = (r >> S_SHIFT) > 31'(N_S - 2) ? IW'(N_S - 2) : IW'(r >> S_SHIFT);
    f_s = (S_SHIFT + 1)'(r - (31'(i_s) << S_SHIFT));
  end
  // A block of its own: the address must not depend on the ROM's answer.
  always_comb begin
    g_eff = 32'(sat(lerp(64'(g_lo), 64'(g_hi), 64'(f_s), S_SHIFT) + 64'(g_offset), 0, INT32_MAX));
    current = 64'(g_eff) * 64'(v);
  end
  assign g_addr = i_s;
endmodule
