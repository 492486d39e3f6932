// Shared arithmetic of the compact-model RTL: the one rounding rule, the one
// saturation rule, the interpolation and the noise generator, each written
// to give the bits of its C++ counterpart (model/include/ionrail/model/
// fixed.hpp, step.hpp, rng.hpp). Widths and constants come from the
// generated ionrail_formats.vh (docs/rtl.md).
//
// Every function works on 64-bit two's-complement values, like the C++ int64
// intermediates, so each expression is the C++ expression; the operands are
// narrower (the callers document their widths) and a synthesis tool sizes
// the adders and multipliers from those.
//
// Included inside the body of every module that uses it (after
// `include "ionrail_formats.vh" at file level), not a package: yosys 0.23
// has no `import`, and Icarus and Verilator take a module-local copy as
// well. No include guard, because each module needs its own copy.

typedef logic signed [63:0] i64;

// A library: each design uses some of these (the neuron none of the state
// ones), so an unused one is not a mistake.
/* verilator lint_off UNUSEDPARAM */
localparam int STATE_F = `IONRAIL_STATE_F;
localparam int GAIN_F = `IONRAIL_GAIN_F;
localparam int COEFF_F = `IONRAIL_COEFF_F;
localparam int Z_F = `IONRAIL_Z_F;
localparam i64 STATE_ONE = 64'(`IONRAIL_STATE_ONE);
localparam i64 INT32_MAX = 64'sh7fff_ffff;
/* verilator lint_on UNUSEDPARAM */

// round_shift(x, n) = (x + ((1 << n) >> 1)) >> n: round half up (fixed.hpp).
// In the device datapaths n is a constant (an adder and wiring); the
// neuron's input shift is a barrel shifter.
function automatic i64 round_shift(i64 x, int n);
  round_shift = (x + ((64'sd1 <<< n) >>> 1)) >>> n;
endfunction

// saturate_range(x, lo, hi) = min(max(x, lo), hi).
function automatic i64 sat(i64 x, i64 lo, i64 hi);
  sat = x < lo ? lo : (x > hi ? hi : x);
endfunction

// lerp(a, b, f, n) = a + round_shift((b - a) * f, n), 0 <= f <= 2^n (step.hpp).
function automatic i64 lerp(i64 a, i64 b, i64 f, int n);
  lerp = a + round_shift((b - a) * f, n);
endfunction

// Bilinear interpolation, V first, then s (step.hpp bilerp): corners
// t00 = T[i][j], t01 = T[i][j+1], t10 = T[i+1][j], t11 = T[i+1][j+1].
function automatic i64 bilerp(i64 t00, i64 t01, i64 t10, i64 t11, i64 f_v, int m, i64 f_s, int n);
  bilerp = lerp(lerp(t00, t01, f_v, m), lerp(t10, t11, f_v, m), f_s, n);
endfunction

function automatic logic [31:0] xorshift32(logic [31:0] x);
  logic [31:0] y;
  y = x ^ (x << `IONRAIL_XORSHIFT_A);
  y = y ^ (y >> `IONRAIL_XORSHIFT_B);
  xorshift32 = y ^ (y << `IONRAIL_XORSHIFT_C);
endfunction

// The normal deviate of two consecutive draws a = xorshift32(x),
// b = xorshift32(a): c = sum of their four 16-bit halves - CENTER (19 bits),
// z = round_shift(c * SCALE, SHIFT) (Q24, |z| < 2^26).
function automatic i64 gauss4_z(logic [31:0] a, logic [31:0] b);
  i64 c;
  c = $signed({48'd0, a[15:0]}) + $signed({48'd0, a[31:16]}) + $signed({48'd0, b[15:0]}) +
      $signed({48'd0, b[31:16]}) - 64'(`IONRAIL_GAUSS4_CENTER);
  gauss4_z = round_shift(c * `IONRAIL_GAUSS4_SCALE, `IONRAIL_GAUSS4_SHIFT);
endfunction
