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
// per cycle through the cfg port (cfg_we, wins over an operation on the same
// device; configure while idle). rst clears them all to zero (like
// model::device{}: gain 0, noise off), and the control state.
`include "ionrail_formats.vh"

module ionrail_crossbar
  import ionrail_pkg::*;
#(
  parameter int          ROWS = 2,
  parameter int          COLS = 2,
  parameter int          LANES = COLS,            // columns per clock: 1 = sequential, COLS = parallel
  parameter int          N_S = 3,                 // table grid: `IONRAIL_TABLE_N_S ... of table.vh
  parameter int          N_V = 3,
  parameter int          S_LOG2_STEP = 1,
  parameter int          V_LOG2_STEP = 0,
  parameter string       TABLE_DIR = "",          // absolute path of the table directory
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
  input  logic signed [15:0]        v_row [ROWS],  // Q4.11 V
  input  logic signed [15:0]        v_col [COLS],  // Q4.11 V (write only; columns are at 0 V in a read)
  output logic                      busy,
  output logic                      done,
  output logic signed [63:0]        i_col [COLS]   // Q32.31 µA
);
  localparam int GROUPS = COLS / LANES;
  localparam int GW = GROUPS > 1 ? $clog2(GROUPS) : 1;
  localparam int CW = $clog2(COLS);
  localparam int PORTS = ROWS * LANES;

  // ---- Device registers (testbenches read them hierarchically) ------------
  logic signed [31:0] s_q     [ROWS][COLS];
  logic signed [31:0] fluct_q [ROWS][COLS];
  logic        [31:0] rng_q   [ROWS][COLS];
  logic signed [31:0] gain_q  [ROWS][COLS];
  logic signed [31:0] off_q   [ROWS][COLS];
  logic               noise_q [ROWS][COLS];

  // ---- Operation state --------------------------------------------------
  logic signed [15:0] vr_q [ROWS];
  logic signed [15:0] vc_q [COLS];
  logic               wr_q, relax_q, busy_q, done_q;
  logic [GW-1:0]      grp_q;
  logic signed [63:0] i_col_q [COLS];

  // ---- Lanes: the columns of the current group --------------------------
  logic [CW-1:0]      col [LANES];
  logic signed [15:0] v_cell [ROWS][LANES];
  logic               steps [ROWS][LANES];
  logic signed [31:0] s_next [ROWS][LANES], fluct_next [ROWS][LANES];
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [31:0] g_eff [ROWS][LANES];  // the read datapath's conductance; only the current is summed
  /* verilator lint_on UNUSEDSIGNAL */
  logic        [31:0] rng_next [ROWS][LANES];
  logic signed [63:0] current [ROWS][LANES];
  logic signed [63:0] lane_sum [LANES];

  logic [$clog2(N_S*N_V)-1:0] step_addr [PORTS];
  logic [$clog2(N_S)-1:0]     g_addr [PORTS];
  logic signed [31:0] drift_c [PORTS][4], noise_c [PORTS][4], fluct_c [PORTS][4], g_lo [PORTS], g_hi [PORTS];
  logic signed [31:0] rho, kick;

  ionrail_table_rom #(
    .N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(TABLE_CHECKSUM), .PORTS(PORTS)
  ) u_rom (
    .step_addr, .drift_c, .noise_c, .fluct_c, .g_addr, .g_lo, .g_hi, .rho, .kick
  );

  for (genvar l = 0; l < LANES; ++l) begin : g_lane
    assign col[l] = CW'(int'(grp_q) * LANES + l);
    for (genvar r = 0; r < ROWS; ++r) begin : g_row
      localparam int P = r * LANES + l;
      // The voltage across the device, saturated to int16.
      assign v_cell[r][l] = 16'(sat(64'(vr_q[r]) - 64'(vc_q[col[l]]), -64'sd32768, 64'sd32767));
      assign steps[r][l] = v_cell[r][l] != 16'sd0 || relax_q;

      ionrail_cell_step #(.N_S(N_S), .N_V(N_V), .S_LOG2_STEP(S_LOG2_STEP), .V_LOG2_STEP(V_LOG2_STEP)) u_step (
        .s(s_q[r][col[l]]), .fluct(fluct_q[r][col[l]]), .rng(rng_q[r][col[l]]), .v(v_cell[r][l]),
        .gain(gain_q[r][col[l]]), .noise_en(noise_q[r][col[l]]),
        .rom_addr(step_addr[P]), .drift_c(drift_c[P]), .noise_c(noise_c[P]), .fluct_c(fluct_c[P]), .rho, .kick,
        .s_next(s_next[r][l]), .fluct_next(fluct_next[r][l]), .rng_next(rng_next[r][l])
      );

      ionrail_cell_read #(.N_S(N_S), .S_LOG2_STEP(S_LOG2_STEP)) u_read (
        .s(s_q[r][col[l]]), .fluct(fluct_q[r][col[l]]), .g_offset(off_q[r][col[l]]), .v(vr_q[r]),
        .g_addr(g_addr[P]), .g_lo(g_lo[P]), .g_hi(g_hi[P]), .g_eff(g_eff[r][l]), .current(current[r][l])
      );
    end
    // Column sum: an adder chain here, a tree after synthesis; 64 bits hold
    // up to 2^17 rows of |I| < 2^46 exactly.
    always_comb begin
      lane_sum[l] = 64'sd0;
      for (int r = 0; r < ROWS; ++r) lane_sum[l] = lane_sum[l] + current[r][l];
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
      grp_q <= '0;
      wr_q <= 1'b0;
      relax_q <= 1'b0;
      for (int r = 0; r < ROWS; ++r) vr_q[r] <= 16'sd0;
      for (int c = 0; c < COLS; ++c) begin
        vc_q[c] <= 16'sd0;
        i_col_q[c] <= 64'sd0;
      end
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
      end else begin
        if (!wr_q)
          for (int l = 0; l < LANES; ++l) i_col_q[col[l]] <= lane_sum[l];
        if (int'(grp_q) == GROUPS - 1) begin
          busy_q <= 1'b0;
          done_q <= 1'b1;
          grp_q <= '0;
        end else begin
          grp_q <= grp_q + GW'(1);
        end
      end
    end
  end

  always_ff @(posedge clk) begin
    for (int r = 0; r < ROWS; ++r)
      for (int c = 0; c < COLS; ++c) begin
        if (rst) begin
          s_q[r][c] <= 32'sd0;
          fluct_q[r][c] <= 32'sd0;
          rng_q[r][c] <= 32'd0;
          gain_q[r][c] <= 32'sd0;
          off_q[r][c] <= 32'sd0;
          noise_q[r][c] <= 1'b0;
        end else if (cfg_we && int'(cfg_row) == r && int'(cfg_col) == c) begin
          s_q[r][c] <= cfg_state;
          fluct_q[r][c] <= cfg_fluct;
          rng_q[r][c] <= cfg_rng;
          gain_q[r][c] <= cfg_gain;
          off_q[r][c] <= cfg_offset;
          noise_q[r][c] <= cfg_noise;
        end else if (busy_q && wr_q && int'(grp_q) == c / LANES && steps[r][c % LANES]) begin
          s_q[r][c] <= s_next[r][c % LANES];
          fluct_q[r][c] <= fluct_next[r][c % LANES];
          rng_q[r][c] <= rng_next[r][c % LANES];
        end
      end
  end

  assign busy = busy_q;
  assign done = done_q;
  assign i_col = i_col_q;

  initial begin
    if (ROWS < 2 || COLS < 2 || LANES < 1 || COLS % LANES != 0 || ROWS > `IONRAIL_CROSSBAR_MAX_ROWS)
      $fatal(1, "ionrail_crossbar: need ROWS, COLS >= 2, ROWS <= %0d and LANES dividing COLS (ROWS=%0d COLS=%0d LANES=%0d)",
             `IONRAIL_CROSSBAR_MAX_ROWS, ROWS, COLS, LANES);
  end
endmodule
