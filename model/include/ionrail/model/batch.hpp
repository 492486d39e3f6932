#pragma once
// Structure-of-arrays batch of devices, stepped together. Bit-identical to
// calling step() / read_current() on each device (same detail::step_raw).
// Host code (std::vector); the inner loops are branch-free so they vectorise
// (gathers for the table corners, 64-bit products, min/max for saturation).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "ionrail/model/device.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/step.hpp"
#include "ionrail/model/table_view.hpp"

namespace ionrail::model {

struct device_batch {
  std::vector<std::int32_t> state;     // q_state raw
  std::vector<std::int32_t> fluct;     // q_fluct raw
  std::vector<std::int32_t> gain;      // q_gain raw
  std::vector<std::int32_t> g_offset;  // q_cond raw (µS)
  std::vector<std::uint32_t> rng;      // xorshift32 states
  std::vector<std::uint8_t> noise;     // 0 or 1

  std::size_t size() const noexcept { return state.size(); }
  void reserve(std::size_t n) {
    state.reserve(n);
    fluct.reserve(n);
    gain.reserve(n);
    g_offset.reserve(n);
    rng.reserve(n);
    noise.reserve(n);
  }
  void push_back(const device& d) {
    state.push_back(d.state.raw());
    fluct.push_back(d.fluct.raw());
    gain.push_back(d.gain.raw());
    g_offset.push_back(d.g_offset.raw());
    rng.push_back(d.rng);
    noise.push_back(d.noise ? 1 : 0);
  }
  device at(std::size_t i) const noexcept {
    device d{};
    d.state = q_state::from_raw(state[i]);
    d.fluct = q_fluct::from_raw(fluct[i]);
    d.gain = q_gain::from_raw(gain[i]);
    d.g_offset = q_cond::from_raw(g_offset[i]);
    d.rng = rng[i];
    d.noise = noise[i] != 0;
    return d;
  }
};

// n devices: make_device(device_seed(base_seed, i), var, initial, noise).
inline device_batch make_batch(std::size_t n, std::uint64_t base_seed, variation_params var,
                               q_state initial = q_state::zero(), bool noise = true) {
  device_batch b;
  b.reserve(n);
  for (std::size_t i = 0; i < n; ++i) b.push_back(make_device(device_seed(base_seed, i), var, initial, noise));
  return b;
}

namespace detail {
template <bool Noise>
inline void step_span(const step_consts& c, std::int32_t* __restrict state, std::int32_t* __restrict fluct,
                      const std::int32_t* __restrict gain,
                      std::uint32_t* __restrict rng, const std::uint8_t* __restrict noise,
                      const std::int16_t* __restrict v, std::size_t n) noexcept {
  // The table is read-only and never overlaps the device arrays; GCC needs
  // telling (it cannot prove the gathers from the table miss `state`).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep
#endif
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t r = rng[i];
    std::int32_t f = fluct[i];
    state[i] = step_raw<Noise>(c, state[i], f, v[i], gain[i], r, noise[i]);
    fluct[i] = f;
    if constexpr (Noise) rng[i] = r;
  }
}
}  // namespace detail

namespace detail {
// Devices [i0, i0 + len) of b, one step: the noise-free loop when no device
// of the span is noisy.
inline void step_block(const step_consts& c, device_batch& b, std::size_t i0, std::size_t len,
                       const std::int16_t* v) noexcept {
  const std::uint8_t* nz = b.noise.data() + i0;
  unsigned any = 0;
  for (std::size_t i = 0; i < len; ++i) any |= nz[i];
  if (any != 0)
    step_span<true>(c, b.state.data() + i0, b.fluct.data() + i0, b.gain.data() + i0, b.rng.data() + i0, nz, v, len);
  else
    step_span<false>(c, b.state.data() + i0, b.fluct.data() + i0, b.gain.data() + i0, b.rng.data() + i0, nz, v, len);
}
constexpr std::size_t batch_block = 1024;
}  // namespace detail

// One model step for every device; v[i] is device i's voltage (q_volt raw).
// Devices are taken in blocks of 1024: a block with no noisy device runs the
// noise-free loop.
inline void step_batch(const table_view& t, device_batch& b, const std::int16_t* v) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  const std::size_t n = b.size();
  for (std::size_t i0 = 0; i0 < n; i0 += detail::batch_block) {
    const std::size_t len = n - i0 < detail::batch_block ? n - i0 : detail::batch_block;
    detail::step_block(c, b, i0, len, v + i0);
  }
}

// step_batch for callers holding volts (host code, e.g. the Python package):
// v_volts[i] is device i's voltage in volts, converted block by block as
// q_volt::from_double does (nearest, saturated at ±16 V) while the block is
// in cache. Returns false, and steps no device, when a voltage is not finite.
[[nodiscard]] inline bool step_batch_volts(const table_view& t, device_batch& b, const double* v_volts) noexcept {
  const std::size_t n = b.size();
  bool finite = true;
  for (std::size_t i = 0; i < n; ++i) finite &= std::fabs(v_volts[i]) <= std::numeric_limits<double>::max();
  if (!finite) return false;
  const detail::step_consts c = detail::make_consts(t);
  std::int16_t raw[detail::batch_block];
  for (std::size_t i0 = 0; i0 < n; i0 += detail::batch_block) {
    const std::size_t len = n - i0 < detail::batch_block ? n - i0 : detail::batch_block;
    for (std::size_t i = 0; i < len; ++i) raw[i] = q_volt::from_double(v_volts[i0 + i]).raw();
    detail::step_block(c, b, i0, len, raw);
  }
  return true;
}

// Read currents (q_current raw, µA · 2^31) of every device; v as in step_batch.
inline void read_current_batch(const table_view& t, const device_batch& b, const std::int16_t* v,
                               std::int64_t* out) noexcept {
  const detail::step_consts c = detail::make_consts(t);
  const std::size_t n = b.size();
  const std::int32_t* __restrict s = b.state.data();
  const std::int32_t* __restrict f = b.fluct.data();
  const std::int32_t* __restrict off = b.g_offset.data();
  for (std::size_t i = 0; i < n; ++i) out[i] = std::int64_t{detail::conductance_raw(c, s[i], f[i], off[i])} * v[i];
}

}  // namespace ionrail::model
