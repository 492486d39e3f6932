#pragma once
// One compact-model device (POD) and its instantiation with device-to-device
// variation drawn once from a seed (docs/compact-model-format.md §6).
#include <cstdint>
#include <type_traits>

#include "ionrail/hd.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/rng.hpp"

namespace ionrail::model {

struct device {
  q_state state;      // slow state s in [0, 1]
  q_fluct fluct;      // fast fluctuation δ in [-1, 1]; the read state is s + δ
  q_gain gain;        // multiplies the tabulated drift, ~1
  q_cond g_offset;    // added to G(s) (µS); G + offset is saturated to [0, max]
  std::uint32_t rng;  // xorshift32 state, != 0
  bool noise;         // cycle-to-cycle noise on; when off the generator is not advanced
};
static_assert(std::is_trivial_v<device> && std::is_standard_layout_v<device>, "device is POD");

// Spread of the per-device parameters: gain = 1 + gain_sigma · z_g and
// offset = offset_sigma · z_o, z from the four-uniform recipe (rng.hpp), so
// draws are bounded at ±sqrt(12) sigma.
struct variation_params {
  q_gain gain_sigma;   // relative, e.g. 0.02 for 2 %
  q_cond offset_sigma; // µS

  IONRAIL_HD static constexpr variation_params none() noexcept { return {q_gain::zero(), q_cond::zero()}; }
  // Setup helper: relative gain spread and G offset spread in siemens.
  static variation_params from_si(double gain_sigma_rel, double offset_sigma_siemens) noexcept {
    return {q_gain::from_double(gain_sigma_rel), q_cond::from_double(offset_sigma_siemens / cond_unit_siemens)};
  }
};
static_assert(std::is_trivial_v<variation_params> && std::is_standard_layout_v<variation_params>, "POD");

// Instantiate a device: integer-only, the same bits on every platform.
//   w1 = splitmix64(seed'), w2 = splitmix64(seed')   (seed' starts at seed)
//   x = xorshift32_state(w1); z_g = gauss4(x); z_o = gauss4(x)
//   gain   = saturate_range(2^30 + round_shift(z_g · gain_sigma, 24), 0, int32 max)
//   offset = saturate<int32>(round_shift(z_o · offset_sigma, 24))
//   rng    = xorshift32_state(w2)
// state starts at `initial` (default 0), fluct at 0; noise as given (default on).
IONRAIL_HD constexpr device make_device(std::uint64_t seed, variation_params var,
                                        q_state initial = q_state::zero(), bool noise = true) noexcept {
  std::uint64_t sm = seed;
  const std::uint64_t w1 = splitmix64(sm);
  const std::uint64_t w2 = splitmix64(sm);
  std::uint32_t x = xorshift32_state(w1);
  const q_z z_g = gauss4(x);
  const q_z z_o = gauss4(x);
  const q_gain dg = fixed_mul<q_gain>(z_g, var.gain_sigma);
  const std::int64_t gain = saturate_range<std::int64_t>(std::int64_t{state_one_raw} + dg.raw(), 0, int_max<std::int32_t>);
  device d{};
  d.state = initial;
  d.fluct = q_fluct::zero();
  d.gain = q_gain::from_raw(static_cast<std::int32_t>(gain));
  d.g_offset = fixed_mul<q_cond>(z_o, var.offset_sigma);
  d.rng = xorshift32_state(w2);
  d.noise = noise;
  return d;
}

}  // namespace ionrail::model
