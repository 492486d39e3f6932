// One model step of one device, combinational: the next slow state s', the
// next fluctuation δ' and the next generator state from the present ones,
// bit for bit model::detail::step_raw (model/include/ionrail/model/step.hpp).
// The table corners come from a ROM port (ionrail_table_rom): this module
// drives rom_addr from s and V, the ROM answers with the four corners of the
// drift, noise and fluctuation tables in the same cycle.
//
// Arithmetic, in the order of step.hpp:
//   cell:   s_c = sat(s, 0, 2^30), i = min(s_c >> S, n_s − 2), f_s = s_c − (i << S)
//           u = sat(V + h·2^m, 0, 2h·2^m), j = min(u >> m, n_v − 2), f_v = u − (j << m)
//   D, N, F = bilinear(drift, noise, fluct)        (V first, then s)
//   s'  = sat(s + rs(D·gain, 30) [+ rs(N·z1, 24)], 0, 2^30)
//   δ'  = sat(rs(δ·ρ, 30) [+ rs(rs(F·κ, 30)·z2, 24)], −2^30, 2^30)
//   z1 from the first two xorshift32 draws, z2 from the next two; the terms
//   in [] and the generator advance only with noise_en.
// Operand widths (what synthesis needs): V-lerp (b − a)·f_v 33 × (m+1) bits,
// s-lerp 33 × (S+1), D·gain and δ·ρ 32 × 32, F·κ 32 × 32, c·K 19 × 33,
// N·z and F'·z 32 × 27; sums below 2^36. Critical path: ROM read, two lerps,
// the κ product and the z product in series (one cycle, no pipeline).
module ionrail_cell_step
  import ionrail_pkg::*;
#(
  parameter int N_S = 3,          // s points, 2^S_LOG2_STEP + 1
  parameter int N_V = 3,          // V points, odd
  parameter int S_LOG2_STEP = 1,  // s spacing 2^-k
  parameter int V_LOG2_STEP = 0   // V spacing 2^m LSB of the voltage
) (
  input  logic signed [31:0]                 s,           // Q1.30
  input  logic signed [31:0]                 fluct,       // Q1.30
  input  logic        [31:0]                 rng,         // xorshift32 state
  input  logic signed [15:0]                 v,           // Q4.11 V
  input  logic signed [31:0]                 gain,        // Q1.30
  input  logic                               noise_en,
  output logic        [$clog2(N_S*N_V)-1:0]  rom_addr,    // i·n_v + j
  input  logic signed [31:0]                 drift_c [4], // T[i][j], T[i][j+1], T[i+1][j], T[i+1][j+1]
  input  logic signed [31:0]                 noise_c [4],
  input  logic signed [31:0]                 fluct_c [4],
  input  logic signed [31:0]                 rho,         // Q1.30
  input  logic signed [31:0]                 kick,        // Q1.30, √(1 − ρ²)
  output logic signed [31:0]                 s_next,
  output logic signed [31:0]                 fluct_next,
  output logic        [31:0]                 rng_next
);
  localparam int S_SHIFT = STATE_F - S_LOG2_STEP;             // s fraction bits
  localparam int V_SHIFT = V_LOG2_STEP;                       // V fraction bits
  localparam int V_SPAN = ((N_V - 1) / 2) << V_LOG2_STEP;     // raw V of the last grid point
  localparam int AW = $clog2(N_S * N_V);
  localparam int IW = $clog2(N_S);                            // i in [0, n_s − 2]
  localparam int JW = $clog2(N_V);                            // j in [0, n_v − 2]

  logic [30:0]        s_c;    // [0, 2^30]
  logic [IW-1:0]      i_s;
  logic [S_SHIFT:0]   f_s;    // [0, 2^S]
  logic [16:0]        u;      // [0, 2^16]
  logic [JW-1:0]      j_v;
  logic [V_SHIFT:0]   f_v;    // [0, 2^m]

  always_comb begin
    s_c = 31'(sat(64'(s), 0, STATE_ONE));
    i_s = (s_c >> S_SHIFT) > 31'(N_S - 2) ? IW'(N_S - 2) : IW'(s_c >> S_SHIFT);
    f_s = (S_SHIFT + 1)'(s_c - (31'(i_s) << S_SHIFT));
    u = 17'(sat(64'(v) + 64'(V_SPAN), 0, 64'(2 * V_SPAN)));
    j_v = (u >> V_SHIFT) > 17'(N_V - 2) ? JW'(N_V - 2) : JW'(u >> V_SHIFT);
    f_v = (V_SHIFT + 1)'(u - (17'(j_v) << V_SHIFT));
  end
  assign rom_addr = AW'(i_s) * AW'(N_V) + AW'(j_v);

  i64 d, n, fk, z1, z2, acc_s, acc_f;
  logic [31:0] a1, b1, a2, b2;
  always_comb begin
    d = bilerp(64'(drift_c[0]), 64'(drift_c[1]), 64'(drift_c[2]), 64'(drift_c[3]), 64'(f_v), V_SHIFT, 64'(f_s), S_SHIFT);
    n = bilerp(64'(noise_c[0]), 64'(noise_c[1]), 64'(noise_c[2]), 64'(noise_c[3]), 64'(f_v), V_SHIFT, 64'(f_s), S_SHIFT);
    fk = round_shift(bilerp(64'(fluct_c[0]), 64'(fluct_c[1]), 64'(fluct_c[2]), 64'(fluct_c[3]), 64'(f_v), V_SHIFT,
                            64'(f_s), S_SHIFT) * 64'(kick), COEFF_F);
    a1 = xorshift32(rng);
    b1 = xorshift32(a1);
    a2 = xorshift32(b1);
    b2 = xorshift32(a2);
    z1 = gauss4_z(a1, b1);
    z2 = gauss4_z(a2, b2);
    acc_s = 64'(s) + round_shift(d * 64'(gain), GAIN_F);
    acc_f = round_shift(64'(fluct) * 64'(rho), COEFF_F);
    if (noise_en) begin
      acc_s = acc_s + round_shift(n * z1, Z_F);
      acc_f = acc_f + round_shift(fk * z2, Z_F);
    end
    s_next = 32'(sat(acc_s, 0, STATE_ONE));
    fluct_next = 32'(sat(acc_f, -STATE_ONE, STATE_ONE));
    rng_next = noise_en ? b2 : rng;
  end
endmodule
