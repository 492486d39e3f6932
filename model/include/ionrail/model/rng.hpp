#pragma once
// The compact model's random numbers: integer-only, a few gates in RTL.
//
// Per-device generator: xorshift32 (Marsaglia 2003, shifts 13, 17, 5),
// state != 0, period 2^32 - 1.
//
// Normal deviate (one per noisy step), "sum of four uniforms":
//   a = xorshift32(x), b = xorshift32(a), x <- b            (two draws)
//   S = (a & 0xFFFF) + (a >> 16) + (b & 0xFFFF) + (b >> 16)  in [0, 262140]
//   c = S - 131070                                           (mean 0, exact)
//   Var(c) = 4 · (2^32 - 1)/12 = (2^32 - 1)/3, sigma_c ≈ 37837.2272
//   z_raw = round_shift(c · K, 23) with K = round(2^47 / sigma_c) = 3719550787
//   z = z_raw · 2^-24 (q_z): unit variance (to 4e-10), |z| <= sqrt(12).
// |c · K| < 2^49, so everything fits int64.
//
// Seeding (setup): splitmix64 (Steele, Lea, Flood 2014) turns a 64-bit seed
// into well-mixed words; xorshift32 states are taken from them, never 0.
#include <cstdint>

#include "ionrail/hd.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"

namespace ionrail::model {

IONRAIL_HD constexpr std::uint32_t xorshift32(std::uint32_t x) noexcept {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

inline constexpr std::int64_t gauss4_center = 131070;              // 4 · (2^16 - 1) / 2
inline constexpr std::int64_t gauss4_scale = 3719550787;           // round(2^47 / sqrt((2^32 - 1)/3))
inline constexpr int gauss4_shift = 47 - q_z::frac_bits;           // 23
inline constexpr double gauss4_sigma_c = 37837.227237206481;       // sqrt((2^32 - 1)/3), reference only
static_assert(gauss4_shift == 23, "z is Q24");
static_assert(gauss4_center * gauss4_scale < (std::int64_t{1} << 49), "c·K fits comfortably in int64");

// Centred sum of four 16-bit uniforms from two generator draws; advances x.
IONRAIL_HD constexpr std::int32_t gauss4_centered(std::uint32_t& x) noexcept {
  const std::uint32_t a = xorshift32(x);
  const std::uint32_t b = xorshift32(a);
  x = b;
  const std::int32_t sum = static_cast<std::int32_t>((a & 0xFFFFu) + (a >> 16) + (b & 0xFFFFu) + (b >> 16));
  return sum - static_cast<std::int32_t>(gauss4_center);
}

// Scale a centred sum to a unit-variance q_z.
IONRAIL_HD constexpr q_z gauss4_scale_z(std::int32_t c) noexcept {
  return q_z::from_raw(static_cast<std::int32_t>(round_shift(std::int64_t{c} * gauss4_scale, gauss4_shift)));
}

// One normal deviate; advances x by two xorshift32 draws.
IONRAIL_HD constexpr q_z gauss4(std::uint32_t& x) noexcept { return gauss4_scale_z(gauss4_centered(x)); }

// splitmix64: advances s and returns the next mixed word.
IONRAIL_HD constexpr std::uint64_t splitmix64(std::uint64_t& s) noexcept {
  s += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = s;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A nonzero xorshift32 state from a mixed word.
IONRAIL_HD constexpr std::uint32_t xorshift32_state(std::uint64_t word) noexcept {
  const auto s = static_cast<std::uint32_t>(word ^ (word >> 32));
  return s != 0 ? s : 0x6D2B79F5u;
}

// Seed of device `index` in an ensemble seeded with `base` (distinct for
// distinct (base, index) pairs with overwhelming probability).
IONRAIL_HD constexpr std::uint64_t device_seed(std::uint64_t base, std::uint64_t index) noexcept {
  std::uint64_t s = base;
  const std::uint64_t mixed = splitmix64(s);
  std::uint64_t t = mixed + index;
  return splitmix64(t);
}

}  // namespace ionrail::model
