// The device datapath as functions and tasks, shared by ionrail_cell_step,
// ionrail_cell_read and ionrail_crossbar (which calls them in loops, so a
// parallel crossbar is one loop in simulation instead of ROWS × COLS module
// copies). Included inside a module body that has the table grid parameters
// N_S, N_V, S_LOG2_STEP, V_LOG2_STEP; the widths below follow from them. It
// brings the arithmetic (ionrail_arith.svh) with it. The procedures with
// several results are tasks, not void functions with outputs, which yosys
// 0.23 does not take.
//
// Bit for bit model::detail::locate, step_raw and conductance_raw
// (model/include/ionrail/model/step.hpp). Arguments and locals are prefixed
// x_ so that they never hide the including module's signals.

`include "ionrail_arith.svh"

localparam int DP_S_SHIFT = STATE_F - S_LOG2_STEP;          // s fraction bits
localparam int DP_V_SHIFT = V_LOG2_STEP;                    // V fraction bits
localparam int DP_V_SPAN = ((N_V - 1) / 2) << V_LOG2_STEP;  // raw V of the last grid point, <= 2^15
localparam int DP_AW = $clog2(N_S * N_V);                   // flat table index
localparam int DP_IW = $clog2(N_S);                         // s index, <= n_s − 2
localparam int DP_JW = $clog2(N_V);                         // V index, <= n_v − 2

// The s index and fraction of a state (s outside [0, 1] is looked up at the
// nearest end): i = min(s_c >> S, n_s − 2), f = s_c − (i << S) in [0, 2^S].
task automatic dp_locate_s(input logic signed [31:0] x_s, output logic [DP_IW-1:0] x_i,
                                    output logic [DP_S_SHIFT:0] x_f);
  logic [30:0] x_s_c;  // [0, 2^30]
  x_s_c = 31'(sat(64'(x_s), 0, STATE_ONE));
  x_i = (x_s_c >> DP_S_SHIFT) > 31'(N_S - 2) ? DP_IW'(N_S - 2) : DP_IW'(x_s_c >> DP_S_SHIFT);
  x_f = (DP_S_SHIFT + 1)'(x_s_c - (31'(x_i) << DP_S_SHIFT));
endtask

// The table cell of (s, V): flat index of its lower-left corner and both
// fractions. V outside the grid is looked up at its edge.
task automatic dp_locate(input logic signed [31:0] x_s, input logic signed [15:0] x_v,
                                  output logic [DP_AW-1:0] x_base, output logic [DP_S_SHIFT:0] x_f_s,
                                  output logic [DP_V_SHIFT:0] x_f_v);
  logic [DP_IW-1:0] x_i;
  logic [16:0]      x_u;  // [0, 2^16]
  logic [DP_JW-1:0] x_j;
  dp_locate_s(x_s, x_i, x_f_s);
  x_u = 17'(sat(64'(x_v) + 64'(DP_V_SPAN), 0, 64'(2 * DP_V_SPAN)));
  x_j = (x_u >> DP_V_SHIFT) > 17'(N_V - 2) ? DP_JW'(N_V - 2) : DP_JW'(x_u >> DP_V_SHIFT);
  x_f_v = (DP_V_SHIFT + 1)'(x_u - (17'(x_j) << DP_V_SHIFT));
  x_base = DP_AW'(x_i) * DP_AW'(N_V) + DP_AW'(x_j);
endtask

// Bilinear interpolation of corners c (T[i][j], T[i][j+1], T[i+1][j], T[i+1][j+1]).
function automatic i64 dp_bilerp(input logic signed [31:0] x_c0, x_c1, x_c2, x_c3, input logic [DP_S_SHIFT:0] x_f_s,
                                 input logic [DP_V_SHIFT:0] x_f_v);
  dp_bilerp = bilerp(64'(x_c0), 64'(x_c1), 64'(x_c2), 64'(x_c3), 64'(x_f_v), DP_V_SHIFT, 64'(x_f_s), DP_S_SHIFT);
endfunction

// One model step:
//   s'  = sat(s + rs(D·gain, 30) [+ rs(N·z1, 24)], 0, 2^30)
//   δ'  = sat(rs(δ·ρ, 30) [+ rs(rs(F·κ, 30)·z2, 24)], −2^30, 2^30)
// z1 from the first two xorshift32 draws, z2 from the next two; the terms in
// [] and the generator advance only with noise_en.
// Operand widths: V-lerp (b − a)·f_v 33 × (m+1) bits, s-lerp 33 × (S+1),
// D·gain and δ·ρ 32 × 32, F·κ 32 × 32, c·K 19 × 33, N·z and F'·z 32 × 27;
// every sum below 2^36.
task automatic dp_step(input logic signed [31:0] x_s, x_fluct, input logic [31:0] x_rng,
                                input logic signed [31:0] x_gain, input logic x_noise_en,
                                input logic [DP_S_SHIFT:0] x_f_s, input logic [DP_V_SHIFT:0] x_f_v,
                                input logic signed [31:0] x_d0, x_d1, x_d2, x_d3,  // drift corners
                                input logic signed [31:0] x_n0, x_n1, x_n2, x_n3,  // noise corners
                                input logic signed [31:0] x_f0, x_f1, x_f2, x_f3,  // fluctuation corners
                                input logic signed [31:0] x_rho, x_kick,
                                output logic signed [31:0] x_s_next, x_fluct_next, output logic [31:0] x_rng_next);
  i64 x_d, x_n, x_fk, x_z1, x_z2, x_acc_s, x_acc_f;
  logic [31:0] x_a1, x_b1, x_a2, x_b2;
  x_d = dp_bilerp(x_d0, x_d1, x_d2, x_d3, x_f_s, x_f_v);
  x_n = dp_bilerp(x_n0, x_n1, x_n2, x_n3, x_f_s, x_f_v);
  x_fk = round_shift(dp_bilerp(x_f0, x_f1, x_f2, x_f3, x_f_s, x_f_v) * 64'(x_kick), COEFF_F);
  x_a1 = xorshift32(x_rng);
  x_b1 = xorshift32(x_a1);
  x_a2 = xorshift32(x_b1);
  x_b2 = xorshift32(x_a2);
  x_z1 = gauss4_z(x_a1, x_b1);
  x_z2 = gauss4_z(x_a2, x_b2);
  x_acc_s = 64'(x_s) + round_shift(x_d * 64'(x_gain), GAIN_F);
  x_acc_f = round_shift(64'(x_fluct) * 64'(x_rho), COEFF_F);
  if (x_noise_en) begin
    x_acc_s = x_acc_s + round_shift(x_n * x_z1, Z_F);
    x_acc_f = x_acc_f + round_shift(x_fk * x_z2, Z_F);
  end
  x_s_next = 32'(sat(x_acc_s, 0, STATE_ONE));
  x_fluct_next = 32'(sat(x_acc_f, -STATE_ONE, STATE_ONE));
  x_rng_next = x_noise_en ? x_b2 : x_rng;
endtask

// The s cell of the read state r = sat(s + δ, 0, 2^30).
task automatic dp_read_index(input logic signed [31:0] x_s, x_fluct, output logic [DP_IW-1:0] x_i,
                                      output logic [DP_S_SHIFT:0] x_f);
  dp_locate_s(32'(sat(64'(x_s) + 64'(x_fluct), 0, STATE_ONE)), x_i, x_f);
endtask

// G_eff = sat(g[i] + rs((g[i+1] − g[i])·f, S) + offset, 0, 2^31 − 1) (Q11.20 µS)
// and I = G_eff · V exactly (Q32.31 µA, 47 bits used).
task automatic dp_read(input logic signed [31:0] x_g_lo, x_g_hi, input logic [DP_S_SHIFT:0] x_f,
                                input logic signed [31:0] x_g_offset, input logic signed [15:0] x_v,
                                output logic signed [31:0] x_g_eff, output logic signed [63:0] x_current);
  x_g_eff = 32'(sat(lerp(64'(x_g_lo), 64'(x_g_hi), 64'(x_f), DP_S_SHIFT) + 64'(x_g_offset), 0, INT32_MAX));
  x_current = 64'(x_g_eff) * 64'(x_v);
endtask
