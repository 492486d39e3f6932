// Fixed-point leaky integrate-and-fire neuron (docs/rtl.md §4), bit for bit
// model::lif_step (model/include/ionrail/model/lif.hpp). It integrates a
// crossbar column current (i_in = i_col[c] of ionrail_crossbar).
//
// At a rising edge with step_en (and not rst):
//   refractory > 0:  refractory − 1, v ← v_reset, no spike
//   else:            in  = sat32(rs(sat(i_in, ±2^62), min(input_shift, 62)))
//                    v'  = sat32(v_rest + rs((v − v_rest)·decay, 30) + in)
//                    v' >= threshold: spike, v ← v_reset, refractory ← refractory_steps
//                    else             v ← v'
// spike is high for the cycle after a step that fired (a one-cycle pulse).
// rst loads v ← v_rest, refractory ← 0 (model::lif_init). The parameters are
// inputs (configuration registers elsewhere) read at every step.
// Critical path: a 64-bit barrel shift, a 33 × 32 multiply and two adds.
`include "ionrail_formats.vh"

module ionrail_lif (
  input  logic                                  clk,
  input  logic                                  rst,               // synchronous, active high
  input  logic                                  step_en,
  input  logic signed [`IONRAIL_CURRENT_W-1:0]  i_in,              // Q32.31 µA
  input  logic signed [`IONRAIL_COEFF_W-1:0]    decay,             // Q1.30 per-step retention of v − v_rest
  input  logic signed [`IONRAIL_MEMBRANE_W-1:0] v_rest,            // Q7.24
  input  logic signed [`IONRAIL_MEMBRANE_W-1:0] v_reset,           // Q7.24
  input  logic signed [`IONRAIL_MEMBRANE_W-1:0] threshold,         // Q7.24
  input  logic [`IONRAIL_LIF_REFRACTORY_W-1:0]  refractory_steps,
  input  logic [5:0]                            input_shift,       // 0 .. 62 (63 counts as 62)
  output logic signed [`IONRAIL_MEMBRANE_W-1:0] v,
  output logic [`IONRAIL_LIF_REFRACTORY_W-1:0]  refractory,
  output logic                                  spike
);
`include "ionrail_arith.svh"

  localparam i64 INPUT_LIMIT = 64'sd1 <<< `IONRAIL_LIF_INPUT_LIMIT_LOG2;
  localparam i64 INT32_MIN = -64'sh8000_0000;

  logic signed [31:0] v_next;
  logic               fire;
  always_comb begin : next
    i64 shift_in, acc;
    int n;
    n = input_shift > 6'(`IONRAIL_LIF_MAX_INPUT_SHIFT) ? `IONRAIL_LIF_MAX_INPUT_SHIFT : 32'(input_shift);
    shift_in = sat(round_shift(sat(i_in, -INPUT_LIMIT, INPUT_LIMIT), n), INT32_MIN, INT32_MAX);
    acc = 64'(v_rest) + round_shift((64'(v) - 64'(v_rest)) * 64'(decay), COEFF_F) + shift_in;
    v_next = 32'(sat(acc, INT32_MIN, INT32_MAX));
    fire = v_next >= threshold;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      v <= v_rest;
      refractory <= '0;
      spike <= 1'b0;
    end else begin
      spike <= 1'b0;
      if (step_en) begin
        if (refractory != '0) begin
          refractory <= refractory - 1'b1;
          v <= v_reset;
        end else if (fire) begin
          spike <= 1'b1;
          v <= v_reset;
          refractory <= refractory_steps;
        end else begin
          v <= v_next;
        end
      end
    end
  end
endmodule
