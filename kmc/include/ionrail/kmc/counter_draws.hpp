#pragma once
// A sequence of Philox draws for set-up work (initial positions, species
// order): word i of a sequence is a pure function of (seed, stream, index, i).
#include <array>
#include <cstdint>

#include <ionrail/kmc/physics.hpp>

namespace ionrail::kmc {

class counter_draws {
 public:
  counter_draws(std::uint64_t seed, draw_stream stream, std::uint64_t index)
      : seed_(seed), stream_(stream), index_(index) {}

  std::uint32_t next() {
    if (used_ == 4) {
      const auto out = philox_draw(stream_counter(seed_, stream_, index_, block_++));
      for (int i = 0; i < 4; ++i) buffer_[i] = out.v[i];
      used_ = 0;
    }
    return buffer_[used_++];
  }

  // Unbiased integer in [0, range) (Lemire's multiply-and-reject).
  std::uint32_t below(std::uint32_t range) {
    std::uint64_t m = static_cast<std::uint64_t>(next()) * range;
    auto low = static_cast<std::uint32_t>(m);
    if (low < range) {
      const std::uint32_t reject_below = (0u - range) % range;
      while (low < reject_below) {
        m = static_cast<std::uint64_t>(next()) * range;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

  double unit() {
    const std::uint32_t hi = next();
    return unit_interval_open0(hi, next());
  }

 private:
  std::uint64_t seed_;
  draw_stream stream_;
  std::uint64_t index_;
  std::uint32_t block_ = 0;
  std::array<std::uint32_t, 4> buffer_{};
  int used_ = 4;
};

}  // namespace ionrail::kmc
