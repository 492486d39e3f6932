// One compact-model device (docs/rtl.md §2): registers s, δ and the
// xorshift32 state, the step and read datapaths and a private copy of the
// table ROMs. Bit for bit model::step() and model::read_current()
// (model/include/ionrail/model/step.hpp) for a model::device with
// state = s, fluct = δ, rng, gain, g_offset and noise = noise_en.
//
// Timing with SYNC_ROM = 0 (the default): at a rising clock edge
//   rst                 loads s ← s_init, δ ← fluct_init, rng ← rng_init
//   else if step_en     takes one model step at voltage v (noise per noise_en)
//   else                holds.
// state, fluct and rng are those registers. g_eff and current are
// combinational from the registers and v (the current through the device at
// v now, before any step at this edge). gain and g_offset are read every
// step: hold them constant for a device with fixed variation. busy is 0.
//
// SYNC_ROM = 1 reads the drift, noise and fluctuation tables through
// registered ports, as block RAM does (ionrail_table_rom SYNC_STEP), so a
// step takes two edges: the edge where step_en = 1 and busy = 0 latches v,
// gain and noise_en and the table corners around (s, v), and raises busy;
// the next edge takes the step with those and lowers busy. step_en while busy
// is ignored; rst cancels a step in progress. The bits of a step are the same
// as with SYNC_ROM = 0 (the same datapath on the same values); only the
// timing differs. g_eff and current stay combinational from the registers
// and v (the conductance table is small and stays in logic).
//
// Parameters: the grid from the table's table.vh (`IONRAIL_TABLE_N_S, ...),
// TABLE_DIR its absolute path, TABLE_CHECKSUM `IONRAIL_TABLE_CHECKSUM.
module ionrail_cell #(
  parameter int          N_S = 3,
  parameter int          N_V = 3,
  parameter int          S_LOG2_STEP = 1,
  parameter int          V_LOG2_STEP = 0,
  parameter              TABLE_DIR = "",           // a string
  parameter logic [63:0] TABLE_CHECKSUM = 64'd0,
  parameter bit          SYNC_ROM = 1'b0       // 1: two-edge step, tables in block RAM
) (
  input  logic               clk,
  input  logic               rst,         // synchronous, active high: load the initial values
  input  logic               step_en,     // take one model step at this edge
  input  logic               noise_en,    // cycle-to-cycle noise on for this step
  input  logic signed [15:0] v,           // Q4.11 V: step voltage and read voltage
  input  logic signed [31:0] gain,        // Q1.30 drift gain
  input  logic signed [31:0] g_offset,    // Q11.20 µS conductance offset
  input  logic signed [31:0] s_init,      // Q1.30, loaded by rst
  input  logic signed [31:0] fluct_init,  // Q1.30, loaded by rst (a new device: 0)
  input  logic        [31:0] rng_init,    // xorshift32 seed state (!= 0 for noise), loaded by rst
  output logic signed [31:0] state,       // s, Q1.30 in [0, 1]
  output logic signed [31:0] fluct,       // δ, Q1.30 in [−1, 1]
  output logic        [31:0] rng,
  output logic signed [31:0] g_eff,       // Q11.20 µS
  output logic signed [63:0] current,     // Q32.31 µA = g_eff · v exactly
  output logic               busy         // SYNC_ROM = 1: a step is in progress (always 0 otherwise)
);
  logic [$clog2(N_S*N_V)-1:0] step_addr;
  logic [$clog2(N_S)-1:0]     g_addr;
  logic [4*32-1:0]            drift_c, noise_c, fluct_c;
  logic [31:0]                g_lo, g_hi;
  logic signed [31:0] rho, kick;
  logic signed [31:0] s_next, fluct_next;
  logic        [31:0] rng_next;

  // What the step datapath sees: the live inputs, or with SYNC_ROM = 1 in
  // the second cycle of a step the ones latched in the first (so that the
  // address it computes is the one the ROM registered).
  logic signed [15:0] v_step;
  logic signed [31:0] gain_step;
  logic               noise_step;

  ionrail_table_rom #(
    .N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(TABLE_CHECKSUM), .PORTS(1), .SYNC_STEP(SYNC_ROM)
  ) u_rom (
    .clk(clk), .step_rd(!busy), .step_addr(step_addr), .drift_c(drift_c), .noise_c(noise_c), .fluct_c(fluct_c), .g_addr(g_addr), .g_lo(g_lo),
    .g_hi(g_hi), .rho(rho), .kick(kick)
  );

  ionrail_cell_step #(.N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP)) u_step (
    .s(state), .fluct(fluct), .rng(rng), .v(v_step), .gain(gain_step), .noise_en(noise_step),
    .rom_addr(step_addr), .drift_c(drift_c), .noise_c(noise_c), .fluct_c(fluct_c), .rho(rho), .kick(kick),
    .s_next(s_next), .fluct_next(fluct_next), .rng_next(rng_next)
  );

  ionrail_cell_read #(.N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP)) u_read (
    .s(state), .fluct(fluct), .g_offset(g_offset), .v(v), .g_addr(g_addr), .g_lo(g_lo), .g_hi(g_hi), .g_eff(g_eff),
    .current(current)
  );

  // The edge at which the registers take the step.
  logic take_step;

  generate
    if (SYNC_ROM) begin : g_two_cycle
      logic signed [15:0] v_q;
      logic signed [31:0] gain_q;
      logic               noise_q;
      always_comb begin
        v_step = busy ? v_q : v;
        gain_step = busy ? gain_q : gain;
        noise_step = busy ? noise_q : noise_en;
        take_step = busy;
      end
      always_ff @(posedge clk) begin
        if (rst || busy) begin
          busy <= 1'b0;
        end else if (step_en) begin
          v_q <= v;
          gain_q <= gain;
          noise_q <= noise_en;
          busy <= 1'b1;
        end
      end
    end else begin : g_one_cycle
      always_comb begin
        v_step = v;
        gain_step = gain;
        noise_step = noise_en;
        take_step = step_en;
        busy = 1'b0;
      end
    end
  endgenerate

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= s_init;
      fluct <= fluct_init;
      rng <= rng_init;
    end else if (take_step) begin
      state <= s_next;
      fluct <= fluct_next;
      rng <= rng_next;
    end
  end
endmodule
