#pragma once
// The Q formats of the compact model, defined once (docs/compact-model-format.md).
// A value is raw · 2^-Frac in the unit given here. Ranges are those of the
// raw type; where the model uses a narrower range it says so.
#include <cstdint>

#include "ionrail/model/fixed.hpp"

namespace ionrail::model {

// State s (fraction of mobile ions in the readout zone), dimensionless.
// LSB 2^-30 ≈ 9.31e-10; representable [-2, 2); the model saturates s to
// [0, 1], i.e. raw [0, 2^30].
using q_state = fixed<std::int32_t, 30>;
inline constexpr std::int32_t state_one_raw = std::int32_t{1} << q_state::frac_bits;

// Applied voltage in volts. LSB 2^-11 V = 0.48828125 mV; range
// [-16, 16 - 2^-11] V.
using q_volt = fixed<std::int16_t, 11>;

// Fast fluctuation δ of the read state about the slow state s (a second
// state variable, docs/compact-model.md), dimensionless, same LSB as s so
// the read state s + δ is a plain sum. The model saturates δ to [-1, 1].
using q_fluct = fixed<std::int32_t, 30>;

// Coefficients in [0, 1] of the fluctuation update: ρ (the per-step
// autocorrelation) and √(1 − ρ²). LSB 2^-30; 1.0 is raw 2^30.
using q_coeff = fixed<std::int32_t, 30>;
inline constexpr std::int32_t coeff_one_raw = std::int32_t{1} << q_coeff::frac_bits;

// Drift E[Δs] and noise Std[Δs] over one model step, in state units (the
// same LSB as q_state so they add without a shift). LSB 2^-30; range [-2, 2).
// Noise entries are >= 0.
using q_delta = fixed<std::int32_t, 30>;

// Per-device drift gain, dimensionless, nominally 1. LSB 2^-30; the model
// keeps it in [0, 2).
using q_gain = fixed<std::int32_t, 30>;

// Standard normal deviate z (sum of four uniforms, rng.hpp). LSB 2^-24;
// |z| <= sqrt(12) ≈ 3.4641 by construction.
using q_z = fixed<std::int32_t, 24>;

// Conductance in microsiemens (1 µS = 1e-6 S). LSB 2^-20 µS ≈ 9.537e-13 S;
// range [-2048, 2048) µS = [-2.048e-3, 2.048e-3) S. Table entries are >= 0;
// the effective device conductance G + offset is saturated to [0, max].
using q_cond = fixed<std::int32_t, 20>;
inline constexpr double cond_unit_siemens = 1e-6;

// Read current in microamperes: exactly q_cond × q_volt (20 + 11 = 31
// fraction bits, no rounding). LSB 2^-31 µA ≈ 4.657e-16 A; range ±2^32 µA,
// far beyond the largest possible |I| = 2048 µS × 16 V = 32768 µA.
using q_current = fixed<std::int64_t, 31>;
inline constexpr double current_unit_ampere = 1e-6;

// --- What the formats must cover -------------------------------------------
static_assert(q_state::frac_bits == 30 && q_state::bits == 32, "state format is Q1.30 in int32");
static_assert(q_volt::frac_bits == 11 && q_volt::bits == 16, "voltage format is int16 with LSB 2^-11 V");
static_assert(q_volt::max_value >= 16.0 - q_volt::lsb && q_volt::min_value <= -16.0, "voltage covers ±16 V");
static_assert(q_delta::frac_bits == q_state::frac_bits, "drift/noise share the state LSB");
static_assert(q_fluct::frac_bits == q_state::frac_bits && q_fluct::bits == 32, "s + δ is a plain sum");
static_assert(q_coeff::frac_bits == 30 && q_coeff::max_value >= 1.0, "coefficients cover [0, 1]");
static_assert(q_gain::max_value >= 1.5, "gain covers 1 ± 50 %");
static_assert(q_z::max_value > 3.47, "z covers ±sqrt(12)");
// G up to at least 1e-3 S, with head room for the device offset.
static_assert(q_cond::max_value * cond_unit_siemens >= 2.0e-3, "conductance covers at least 2e-3 S");
static_assert(q_cond::lsb * cond_unit_siemens < 1e-12, "conductance LSB below 1 pS");
// |I| = |G| · |V| for every representable G and V fits the current format.
static_assert(q_current::frac_bits == q_cond::frac_bits + q_volt::frac_bits, "current = G · V is exact");
static_assert(q_cond::bits + q_volt::bits <= 63, "every |G_raw · V_raw| <= 2^46 fits the int64 current");
static_assert(q_current::max_value * current_unit_ampere >= 16.0 * 2.048e-3, "current covers 16 V × 2.048e-3 S");

}  // namespace ionrail::model
