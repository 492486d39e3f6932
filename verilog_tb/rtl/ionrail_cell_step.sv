// One model step of one device, combinational: the next slow state s', the
// next fluctuation δ' and the next generator state from the present ones,
// bit for bit model::detail::step_raw (model/include/ionrail/model/step.hpp;
// the arithmetic is in ionrail_datapath.svh). The table corners come from a
// ROM port (ionrail_table_rom): this module drives rom_addr from s and V, the
// ROM answers with the four corners of the drift, noise and fluctuation
// tables in the same cycle.
// Critical path: ROM read, two lerps, the κ product and the z product in
// series (one cycle, no pipeline).
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
`include "ionrail_datapath.svh"

  logic [DP_S_SHIFT:0] f_s;
  logic [DP_V_SHIFT:0] f_v;
  // Two blocks: the address must not depend on the ROM's answer.
  always_comb dp_locate(s, v, rom_addr, f_s, f_v);
  always_comb
    dp_step(s, fluct, rng, gain, noise_en, f_s, f_v, drift_c[0], drift_c[1], drift_c[2], drift_c[3], noise_c[0],
            noise_c[1], noise_c[2], noise_c[3], fluct_c[0], fluct_c[1], fluct_c[2], fluct_c[3], rho, kick, s_next,
            fluct_next, rng_next);
endmodule
