#pragma once
// Fixed-point leaky integrate-and-fire neuron: the golden model of
// verilog_tb/rtl/ionrail_lif.sv (docs/rtl.md §4). It integrates a crossbar
// column current, so a column of devices and one neuron make a layer.
//
// Formats:
//   membrane potential v, v_rest, v_reset, threshold: q_membrane =
//     fixed<int32, 24>, dimensionless (a threshold of order 1), LSB 2^-24,
//     range [-128, 128);
//   input: the column current, q_current (int64, Q31 µA, crossbar.hpp);
//   decay α (per-step retention of v − v_rest): q_coeff (Q1.30), meant for
//     [0, 1] but any int32 is computed without overflow;
//   input_shift: integer in [0, 62] (larger values count as 62);
//   refractory_steps: integer in [0, 65535] (a 16-bit counter in RTL).
//
// One step (integers only, every sum in int64):
//   if refractory > 0:   refractory −= 1;  v = v_reset;  no spike
//   else:
//     x   = round_shift(saturate_range(I_raw, −2^62, 2^62), min(input_shift, 62))
//     in  = saturate<int32>(x)                                (q_membrane)
//     acc = v_rest + round_shift((v − v_rest) · α, 30) + in
//     v'  = saturate<int32>(acc)
//     if v' >= threshold:  spike;  v = v_reset;  refractory = refractory_steps
//     else:                v = v'
// So with refractory_steps = R a spiking neuron is held at v_reset for the R
// steps after its spike and integrates again on the (R+1)-th. An input of
// 1 µA per step is 1.0 membrane unit per step at input_shift = 7 (31 − 24).
#include <cstdint>
#include <type_traits>

#include "ionrail/hd.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"

namespace ionrail::model {

using q_membrane = fixed<std::int32_t, 24>;

inline constexpr int lif_max_input_shift = 62;
inline constexpr std::int64_t lif_input_limit = std::int64_t{1} << 62;  // |I| clamp before the shift
inline constexpr std::int32_t lif_max_refractory = 65535;

struct lif_params {
  q_coeff decay;                  // α: v − v_rest is multiplied by α each step
  q_membrane v_rest;              // potential the leak pulls towards
  q_membrane v_reset;             // potential after a spike and while refractory
  q_membrane threshold;           // spike when the updated potential >= threshold
  std::int32_t refractory_steps;  // steps held at v_reset after a spike, [0, 65535]
  std::int32_t input_shift;       // input = I_raw / 2^input_shift (rounded), [0, 62]
};
static_assert(std::is_trivial_v<lif_params> && std::is_standard_layout_v<lif_params>, "lif_params is POD");

struct lif_state {
  q_membrane v;             // membrane potential
  std::int32_t refractory;  // steps still to wait, [0, 65535]
};
static_assert(std::is_trivial_v<lif_state> && std::is_standard_layout_v<lif_state>, "lif_state is POD");

// --- What the arithmetic relies on ------------------------------------------
static_assert(q_membrane::bits == 32 && q_coeff::bits == 32, "32-bit potential and decay");
// |v − v_rest| <= 2^32 − 1 and |α| <= 2^31, so |product| <= 2^63 − 2^31 and
// with its rounding offset 2^29 still fits int64; the sum of the three terms
// stays below 2^35.
static_assert(q_membrane::bits + (q_coeff::bits - 1) <= 63, "(v − v_rest) · α fits int64");
static_assert(lif_input_limit + (lif_input_limit >> 1) > 0, "clamped input plus the rounding half fits int64");
static_assert(q_current::bits == 64, "input is the 64-bit column current");

// Parameters from physical values (setup): decay α, potentials in membrane
// units, refractory period in steps, input scale 2^-input_shift.
inline lif_params make_lif_params(double decay, double v_rest, double v_reset, double threshold, int refractory_steps,
                                  int input_shift) noexcept {
  return lif_params{q_coeff::from_double(decay), q_membrane::from_double(v_rest), q_membrane::from_double(v_reset),
                    q_membrane::from_double(threshold),
                    refractory_steps < 0 ? 0 : (refractory_steps > lif_max_refractory ? lif_max_refractory : refractory_steps),
                    input_shift < 0 ? 0 : (input_shift > lif_max_input_shift ? lif_max_input_shift : input_shift)};
}

// A neuron at rest.
IONRAIL_HD constexpr lif_state lif_init(const lif_params& p) noexcept { return lif_state{p.v_rest, 0}; }

// The column current as membrane input per step.
IONRAIL_HD constexpr q_membrane lif_input(const lif_params& p, q_current i) noexcept {
  const int shift = p.input_shift < 0 ? 0 : (p.input_shift > lif_max_input_shift ? lif_max_input_shift : p.input_shift);
  const std::int64_t x = saturate_range<std::int64_t>(i.raw(), -lif_input_limit, lif_input_limit);
  return q_membrane::from_raw(saturate<std::int32_t>(round_shift(x, shift)));
}

// One step; returns whether the neuron spiked.
IONRAIL_HD constexpr bool lif_step(const lif_params& p, lif_state& n, q_current i) noexcept {
  if (n.refractory > 0) {
    n.refractory -= 1;
    n.v = p.v_reset;
    return false;
  }
  const std::int64_t d = std::int64_t{n.v.raw()} - p.v_rest.raw();
  const std::int64_t acc = std::int64_t{p.v_rest.raw()} + round_shift(d * p.decay.raw(), q_coeff::frac_bits) +
                           lif_input(p, i).raw();
  const std::int32_t v = saturate<std::int32_t>(acc);
  if (v >= p.threshold.raw()) {
    n.v = p.v_reset;
    n.refractory = p.refractory_steps < 0 ? 0 : (p.refractory_steps > lif_max_refractory ? lif_max_refractory : p.refractory_steps);
    return true;
  }
  n.v = q_membrane::from_raw(v);
  return false;
}

}  // namespace ionrail::model
