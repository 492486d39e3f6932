#pragma once
// The sync sweep of one rail block written with AVX-512 intrinsics, for one
// (class, species) combination and rails of at most 126 sites. It computes
// the same bits as sync_solver::sweep_block<false> (same Philox4x32-10 words
// for the same counters, the same hop rule): GCC's auto-vectorised loop emulates
// the two table lookups with 32 scalar loads and inserts per 16 ions and
// widens Philox's products to 64-bit lanes; here the rate thresholds sit in
// registers (vpermt2d) and the products stay in 32-bit lanes.
#include <cstddef>
#include <cstdint>

namespace ionrail::kmc::detail {

// Thresholds held in registers: 8 × 16 words per table.
inline constexpr int avx512_table_entries = 128;

struct avx512_block {
  std::uint16_t* q_all = nullptr;  // row 0 is the left wall
  std::size_t stride = 0;
  int ions = 0;
  int first_rail = 0;
  int len = 0;  // rails in the block, at most 256
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  const std::uint32_t* thr_right = nullptr;  // avx512_table_entries each, zero-padded
  const std::uint32_t* thr_total = nullptr;
  std::uint32_t* draws = nullptr;  // scratch: 4 × 256 words, 64-byte aligned
  // Hops made, added by origin q: two tables of avx512_table_entries each
  // (summed by the caller).
  int* hops_right = nullptr;
  int* hops_left = nullptr;
};

// True where the kernel was compiled and the CPU has AVX-512 F, BW, VL and DQ.
bool avx512_sweep_available();

// The Philox4x32-10 words of sync_hop_counter(seed, step, half, first_rail +
// i, group) for i < len (len ≤ 256): word k of rail i at draws[256 k + i]
// (draws 64-byte aligned, 1024 words).
void avx512_draws(std::uint64_t seed, std::uint64_t step, std::uint32_t half, std::uint32_t group, int first_rail,
                  int len, std::uint32_t* draws);

// Both half-sweeps of the block. Instead of a site histogram it counts the
// hops by origin and direction, from which the caller updates the counts.
void avx512_sweep(const avx512_block& b);

}  // namespace ionrail::kmc::detail
