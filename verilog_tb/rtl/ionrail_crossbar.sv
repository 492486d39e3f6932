// A ROWS × COLS crossbar of compact-model devices (docs/rtl.md §3), bit for
// bit model::crossbar_write / crossbar_read (model/include/ionrail/model/
// crossbar.hpp).
//
// Write (op_write = 1): device (r, c) sees V = sat16(v_row[r] − v_col[c]) and
// takes one model step if V != 0 or relax = 1 (an idle device keeps its
// state and its generator). Read (op_write = 0): rows at v_row, columns at
// virtual ground; i_col[c] = Σ_r G_eff(r, c) · v_row[r], exact int64 Q32.31
// µA (each term |I| < 2^46, so ROWS <= `IONRAIL_CROSSBAR_MAX_ROWS = 2^17
// cannot overflow). A read changes no device.
//
// LANES columns are processed per clock by ROWS × LANES step and read
// datapaths (sharing the ROM through ROWS × LANES ports): LANES = 1 is the
// sequential crossbar (one column per cycle, ROWS datapaths), LANES = COLS the
// parallel one (every device in one cycle, ROWS × COLS datapaths); any LANES
// that divides COLS works. GROUPS = COLS / LANES.
//
// Timing: at the edge where start = 1 and busy = 0 the crossbar latches
// v_row, v_col, op_write and relax (they may change afterwards) and raises
// busy. The next GROUPS edges process columns [g·LANES, (g+1)·LANES) for
// g = 0, 1, ...; after the last one busy falls and done is high for one
// cycle. So an operation takes GROUPS + 1 cycles from start to done, and a
// new start is accepted in the cycle done is high. i_col[c] holds the last
// read of column c. start while busy is ignored.
//
// Device registers (s, δ, rng, gain, offset, noise) are loaded one device
// per cycle through the cfg port; configure only while busy is low (a cfg
// write takes the register file's write port, so a step of another device
// of the same row and lane in that cycle would be lost). rst resets the
// control state and i_col only: the devices keep their state, like the
// contents of a memory, until configured.
`include "ionrail_formats.vh"

module ionrail_crossbar #(
  parameter int          ROWS = 2,
  parameter int          COLS = 2,
  parameter int          LANES = COLS,            // columns per clock: 1 = sequential, COLS = parallel
  parameter int          N_S = 3,                 // table grid: `IONRAIL_TABLE_N_S ... of table.vh
  parameter int          N_V = 3,
  parameter int          S_LOG2_STEP = 1,
  parameter int          V_LOG2_STEP = 0,
  parameter              TABLE_DIR = "",          // absolute path of the table directory (a string)
  parameter logic [63:0] TABLE_CHECKSUM = 64'd0   // `IONRAIL_TABLE_CHECKSUM
) (
  input  logic                      clk,
  input  logic                      rst,         // synchronous, active high
  // configuration: write every register of device (cfg_row, cfg_col)
  input  logic                      cfg_we,
  input  logic [$clog2(ROWS)-1:0]   cfg_row,
  input  logic [$clog2(COLS)-1:0]   cfg_col,
  input  logic signed [31:0]        cfg_state,   // Q1.30
  input  logic signed [31:0]        cfg_fluct,   // Q1.30
  input  logic signed [31:0]        cfg_gain,    // Q1.30
  input  logic signed [31:0]        cfg_offset,  // Q11.20 µS
  input  logic        [31:0]        cfg_rng,     // xorshift32 state
  input  logic                      cfg_noise,   // noise on for this device
  // operations
  input  logic                      start,
  input  logic                      op_write,    // 1: write (one model step), 0: read
  input  logic                      relax,       // write: devices at 0 V step too
  // The per-row and per-column buses are flat (packed, element k at
  // [k·16 +: 16] or [k·64 +: 64]): yosys 0.23 and Icarus 11 take no
  // unpacked array ports.
  input  logic [ROWS*16-1:0]        v_row,       // Q4.11 V, row r at [r·16 +: 16]
  input  logic [COLS*16-1:0]        v_col,       // Q4.11 V (write only; columns are at 0 V in a read)
  output logic                      busy,
  output logic                      done,
  output logic [COLS*64-1:0]        i_col        // Q32.31 µA, column c at [c·64 +: 64]
);
  localparam int GROUPS = COLS / LANES;
  localparam int GW = GROUPS > 1 ? $clog2(GROUPS) : 1;
  localparam int PORTS = ROWS * LANES;

  // ---- Device registers ---------------------------------------------------
  // Stored per datapath: lane l of row r keeps the devices (r, g·LANES + l)
  // of every group g, one word per group (a register file of depth GROUPS;
  // with LANES = 1 a row's devices, addressed by column), in the generate
  // block g_row[r].g_lane[l] below (s_q, fluct_q, rng_q, gain_q, off_q,
  // noise_q: testbenches read the first three there). The operation
  // addresses them by the current group; the cfg port by cfg_col. The
  // words of the current group, flat per datapath p = r·LANES + l
  // ([p·32 +: 32], noise [p]):
  logic [PORTS*32-1:0] s_cur, fluct_cur, rng_cur, gain_cur, off_cur;
  logic [PORTS-1:0]    noise_cur;

  // ---- Operation state --------------------------------------------------
  logic [ROWS*16-1:0] vr_q;
  logic [COLS*16-1:0] vc_q;
  logic               wr_q, relax_q, busy_q, done_q;
  logic [GW-1:0]      grp_q;

  // ---- Lanes: the columns of the current group --------------------------
  // Datapath p = r·LANES + l serves device (r, col[l]). Written as loops
  // over p calling the shared datapath functions (ionrail_datapath.svh), so a
  // parallel crossbar simulates as one loop rather than ROWS × COLS copies;
  // in hardware each iteration is one datapath.
`include "ionrail_datapath.svh"

  logic signed [15:0]  v_cell [PORTS];
  logic                steps [PORTS];
  logic [DP_S_SHIFT:0] f_s [PORTS], f_g [PORTS];
  logic [DP_V_SHIFT:0] f_v [PORTS];
  logic signed [31:0]  s_next [PORTS], fluct_next [PORTS];
  logic        [31:0]  rng_next [PORTS];
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [31:0]  g_eff [PORTS];  // the read datapath's conductance; only the current is summed
  /* verilator lint_on UNUSEDSIGNAL */
  logic signed [63:0]  current [PORTS];
  logic signed [63:0]  lane_sum [LANES];

  logic [PORTS*DP_AW-1:0] step_addr;
  logic [PORTS*DP_IW-1:0] g_addr;
  logic [PORTS*4*32-1:0]  drift_c, noise_c, fluct_c;
  logic [PORTS*32-1:0]    g_lo, g_hi;
  logic signed [31:0]     rho, kick;

  ionrail_table_rom #(
    .N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(TABLE_CHECKSUM), .PORTS(PORTS)
  ) u_rom (
    .clk(clk), .step_rd(1'b0), .step_addr(step_addr), .drift_c(drift_c), .noise_c(noise_c), .fluct_c(fluct_c), .g_addr(g_addr), .g_lo(g_lo),
    .g_hi(g_hi), .rho(rho), .kick(kick)
  );

  // Addresses (a block of their own: they must not depend on the ROM's answer).
  always_comb begin
    for (int p = 0; p < PORTS; p = p + 1) begin
      // The voltage across the device, saturated to int16.
      v_cell[p] = 16'(sat(64'($signed(vr_q[(p / LANES)*16+:16])) -
                          64'($signed(vc_q[(32'(grp_q) * LANES + p % LANES)*16+:16])), -64'sd32768, 64'sd32767));
      steps[p] = v_cell[p] != 16'sd0 || relax_q;
      dp_locate(s_cur[p*32+:32], v_cell[p], step_addr[p*DP_AW+:DP_AW], f_s[p], f_v[p]);
      dp_read_index(s_cur[p*32+:32], fluct_cur[p*32+:32], g_addr[p*DP_IW+:DP_IW], f_g[p]);
    end
  end

  // Next state and read current of every datapath.
  always_comb begin
    for (int p = 0; p < PORTS; p = p + 1) begin
      dp_step(s_cur[p*32+:32], fluct_cur[p*32+:32], rng_cur[p*32+:32], gain_cur[p*32+:32], noise_cur[p], f_s[p], f_v[p],
              drift_c[(4*p+0)*32+:32], drift_c[(4*p+1)*32+:32], drift_c[(4*p+2)*32+:32], drift_c[(4*p+3)*32+:32],
              noise_c[(4*p+0)*32+:32], noise_c[(4*p+1)*32+:32], noise_c[(4*p+2)*32+:32], noise_c[(4*p+3)*32+:32],
              fluct_c[(4*p+0)*32+:32], fluct_c[(4*p+1)*32+:32], fluct_c[(4*p+2)*32+:32], fluct_c[(4*p+3)*32+:32],
              rho, kick, s_next[p], fluct_next[p], rng_next[p]);
      dp_read(g_lo[p*32+:32], g_hi[p*32+:32], f_g[p], off_cur[p*32+:32], vr_q[(p / LANES)*16+:16], g_eff[p],
              current[p]);
    end
  end

  // Column sums: an adder chain here, a tree after synthesis; 64 bits hold
  // up to 2^17 rows of |I| < 2^46 exactly.
  always_comb begin
    for (int l = 0; l < LANES; l = l + 1) begin
      lane_sum[l] = 64'sd0;
      for (int r = 0; r < ROWS; r = r + 1) lane_sum[l] = lane_sum[l] + current[r * LANES + l];
    end
  end

  // Control and the latched drive. (The per-column and per-lane registers
  // below are in generate blocks: Verilator 5.006 cannot schedule
  // non-blocking writes to array elements inside long for loops.)
  always_ff @(posedge clk) begin
    if (rst) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      grp_q <= '0;
      wr_q <= 1'b0;
      relax_q <= 1'b0;
      vr_q <= '0;
      vc_q <= '0;
    end else begin
      done_q <= 1'b0;
      if (!busy_q) begin
        if (start) begin
          busy_q <= 1'b1;
          grp_q <= '0;
          vr_q <= v_row;
          vc_q <= v_col;
          wr_q <= op_write;
          relax_q <= relax;
        end
      end else if (grp_q == GW'(GROUPS - 1)) begin
        busy_q <= 1'b0;
        done_q <= 1'b1;
        grp_q <= '0;
      end else begin
        grp_q <= grp_q + GW'(1);
      end
    end
  end

  for (genvar c = 0; c < COLS; c = c + 1) begin : g_col
    // Column c is lane c % LANES of group c / LANES.
    logic signed [63:0] i_col_r;
    always_ff @(posedge clk) begin
      if (rst) i_col_r <= 64'sd0;
      else if (busy_q && !wr_q && grp_q == GW'(c / LANES)) i_col_r <= lane_sum[c % LANES];
    end
    assign i_col[c*64+:64] = i_col_r;
  end

  // Device registers: one write port per (row, lane), the cfg port first.
  for (genvar r = 0; r < ROWS; r = r + 1) begin : g_row
    for (genvar l = 0; l < LANES; l = l + 1) begin : g_lane
      localparam int P = r * LANES + l;
      wire           cfg_hit = cfg_we && 32'(cfg_row) == r && 32'(cfg_col) % LANES == l;
      wire [GW-1:0]  cfg_grp = GW'(32'(cfg_col) / LANES);
      logic signed [31:0] s_q [GROUPS], fluct_q [GROUPS], gain_q [GROUPS], off_q [GROUPS];
      logic        [31:0] rng_q [GROUPS];
      logic               noise_q [GROUPS];
      always_ff @(posedge clk) begin
        if (cfg_hit) begin
          s_q[cfg_grp] <= cfg_state;
          fluct_q[cfg_grp] <= cfg_fluct;
          rng_q[cfg_grp] <= cfg_rng;
          gain_q[cfg_grp] <= cfg_gain;
          off_q[cfg_grp] <= cfg_offset;
          noise_q[cfg_grp] <= cfg_noise;
        end else if (busy_q && wr_q && steps[P]) begin
          s_q[grp_q] <= s_next[P];
          fluct_q[grp_q] <= fluct_next[P];
          rng_q[grp_q] <= rng_next[P];
        end
      end
      assign s_cur[P*32+:32] = s_q[grp_q];
      assign fluct_cur[P*32+:32] = fluct_q[grp_q];
      assign rng_cur[P*32+:32] = rng_q[grp_q];
      assign gain_cur[P*32+:32] = gain_q[grp_q];
      assign off_cur[P*32+:32] = off_q[grp_q];
      assign noise_cur[P] = noise_q[grp_q];
    end
  end

  assign busy = busy_q;
  assign done = done_q;

`ifndef SYNTHESIS
  initial begin
    if (ROWS < 2 || COLS < 2 || LANES < 1 || COLS % LANES != 0 || ROWS > `IONRAIL_CROSSBAR_MAX_ROWS)
      $fatal(1, "ionrail_crossbar: need ROWS, COLS >= 2, ROWS <= %0d and LANES dividing COLS (ROWS=%0d COLS=%0d LANES=%0d)",
             `IONRAIL_CROSSBAR_MAX_ROWS, ROWS, COLS, LANES);
  end
`endif
endmodule
