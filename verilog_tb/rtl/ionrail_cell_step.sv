// One model step of one device, combinational: the next slow state s', the
// next fluctuation δ' and the next generator state from the present ones,
// bit for bit model::detail::step_raw (model/include/ionrail/model/step.hpp;
// the arithmetic is in ionrail_datapath.svh). The table corners come from a
// ROM port (ionrail_table_rom): this module drives rom_addr from s and V, the
// ROM answers with the four corners of the drift, noise and fluctuation
// tables in the same cycle, or (the two-edge cell, SYNC_ROM = 1) from its
// read registers one edge later, while the cell holds s and the latched V.
// Critical path: ROM read, two lerps, the κ product and the z product in
// series (one cycle, no pipeline).
`include "ionrail_formats.vh"

module ionrail_cell_step #(
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
  input  logic        [4*32-1:0]             drift_c,     // T[i][j], T[i][j+1], T[i+1][j], T[i+1][j+1] at [k·32 +: 32]
  input  logic        [4*32-1:0]             noise_c,
  input  logic        [4*32-1:0]             fluct_c,
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
  // The corners as wires: Icarus 11 cannot select parts of a vector inside
  // always_comb (it would warn and make the block sensitive to all bits).
  wire [31:0] d0 = drift_c[0+:32], d1 = drift_c[32+:32], d2 = drift_c[64+:32], d3 = drift_c[96+:32];
  wire [31:0] n0 = noise_c[0+:32], n1 = noise_c[32+:32], n2 = noise_c[64+:32], n3 = noise_c[96+:32];
  wire [31:0] c0 = fluct_c[0+:32], c1 = fluct_c[32+:32], c2 = fluct_c[64+:32], c3 = fluct_c[96+:32];
  always_comb
    dp_step(s, fluct, rng, gain, noise_en, f_s, f_v, d0, d1, d2, d3, n0, n1, n2, n3, c0, c1, c2, c3, rho, kick, s_next,
            fluct_next, rng_next);
endmodule
