// Place-and-route tops: a module with hundreds of ports does not fit any
// iCE40 package, so each top here has only clk, a serial input and a serial
// output. Every input port of the module under test comes from a register
// of a shift chain fed by sin (so no input is a constant that synthesis
// could fold away), and every output port is folded into a register chain
// read out at sout (so no output logic is removed). The paths measured are
// register to register through the module, as in a design that embeds it.
// The chains add IW + OW flip-flops and about OW LUTs (scripts/synth_rtl.sh
// reports them apart).
`include "ionrail_formats.vh"
`include "table.vh"
`include "synth_table_dir.vh"

module pnr_lif (
  input  logic clk,
  input  logic sin,
  output logic sout
);
  localparam int IW = 2 + `IONRAIL_CURRENT_W + `IONRAIL_COEFF_W + 3 * `IONRAIL_MEMBRANE_W +
                      `IONRAIL_LIF_REFRACTORY_W + 6;
  localparam int OW = `IONRAIL_MEMBRANE_W + `IONRAIL_LIF_REFRACTORY_W + 1;
  logic [IW-1:0] in_q;
  logic [OW-1:0] out_q, outs;
  always_ff @(posedge clk) begin
    in_q <= {in_q[IW-2:0], sin};
    out_q <= outs ^ {out_q[OW-2:0], 1'b0};
  end
  assign sout = out_q[OW-1];

  localparam int C = `IONRAIL_COEFF_W, M = `IONRAIL_MEMBRANE_W, I = `IONRAIL_CURRENT_W, R = `IONRAIL_LIF_REFRACTORY_W;
  ionrail_lif u_lif (
    .clk(clk), .rst(in_q[0]), .step_en(in_q[1]), .i_in(in_q[2+:I]), .decay(in_q[2+I+:C]), .v_rest(in_q[2+I+C+:M]),
    .v_reset(in_q[2+I+C+M+:M]), .threshold(in_q[2+I+C+2*M+:M]), .refractory_steps(in_q[2+I+C+3*M+:R]),
    .input_shift(in_q[2+I+C+3*M+R+:6]), .v(outs[0+:M]), .refractory(outs[M+:R]), .spike(outs[M+R])
  );
endmodule

module pnr_cell #(
  parameter int NOISE = 1,    // as synth_cell's
  parameter int SYNC_ROM = 0  // as synth_cell's
) (
  input  logic clk,
  input  logic sin,
  output logic sout
);
  localparam int IW = 3 + 16 + 5 * 32;
  localparam int OW = 4 * 32 + 64 + 1;
  logic [IW-1:0] in_q;
  logic [OW-1:0] out_q, outs;
  always_ff @(posedge clk) begin
    in_q <= {in_q[IW-2:0], sin};
    out_q <= outs ^ {out_q[OW-2:0], 1'b0};
  end
  assign sout = out_q[OW-1];

  ionrail_cell #(
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(`IONRAIL_SYNTH_TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM), .SYNC_ROM(SYNC_ROM != 0)
  ) u_cell (
    .clk(clk), .rst(in_q[0]), .step_en(in_q[1]), .noise_en(NOISE != 0 && in_q[2]), .v(in_q[3+:16]), .gain(in_q[19+:32]),
    .g_offset(in_q[51+:32]), .s_init(in_q[83+:32]), .fluct_init(in_q[115+:32]), .rng_init(in_q[147+:32]),
    .state(outs[0+:32]), .fluct(outs[32+:32]), .rng(outs[64+:32]), .g_eff(outs[96+:32]), .current(outs[128+:64]),
    .busy(outs[192])
  );
endmodule

module pnr_crossbar #(
  parameter int ROWS = 4,
  parameter int COLS = 4,
  parameter int LANES = 1
) (
  input  logic clk,
  input  logic sin,
  output logic sout
);
  localparam int RW = $clog2(ROWS), CW = $clog2(COLS);
  localparam int IW = 6 + RW + CW + 5 * 32 + 16 * (ROWS + COLS);
  localparam int OW = 2 + 64 * COLS;
  logic [IW-1:0] in_q;
  logic [OW-1:0] out_q, outs;
  always_ff @(posedge clk) begin
    in_q <= {in_q[IW-2:0], sin};
    out_q <= outs ^ {out_q[OW-2:0], 1'b0};
  end
  assign sout = out_q[OW-1];

  localparam int V = 6 + RW + CW + 5 * 32;  // first bit of v_row
  ionrail_crossbar #(
    .ROWS(ROWS), .COLS(COLS), .LANES(LANES),
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(`IONRAIL_SYNTH_TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM)
  ) u_xbar (
    .clk(clk), .rst(in_q[0]), .cfg_we(in_q[1]), .cfg_noise(in_q[2]), .start(in_q[3]), .op_write(in_q[4]),
    .relax(in_q[5]), .cfg_row(in_q[6+:RW]), .cfg_col(in_q[6+RW+:CW]), .cfg_state(in_q[6+RW+CW+:32]),
    .cfg_fluct(in_q[38+RW+CW+:32]), .cfg_gain(in_q[70+RW+CW+:32]), .cfg_offset(in_q[102+RW+CW+:32]),
    .cfg_rng(in_q[134+RW+CW+:32]), .v_row(in_q[V+:16*ROWS]), .v_col(in_q[V+16*ROWS+:16*COLS]), .busy(outs[0]),
    .done(outs[1]), .i_col(outs[2+:64*COLS])
  );
endmodule
