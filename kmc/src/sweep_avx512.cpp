#include "sweep_avx512.hpp"

#include <Random123/philox.h>

#include <stdexcept>

#include <ionrail/kmc/physics.hpp>

// Built wherever GCC or Clang target x86-64, except in a baseline build that
// must not dispatch (IONRAIL_NO_CLONES without AVX-512 in its -march).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && \
    (!defined(IONRAIL_NO_CLONES) || (defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
                                     defined(__AVX512DQ__)))
#define IONRAIL_SWEEP_AVX512 1
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics initialise their unused pass-through operand
// from itself (_mm512_undefined_epi32), which -Wmaybe-uninitialized reports
// at every use (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace ionrail::kmc::detail {

#if IONRAIL_SWEEP_AVX512

#define IONRAIL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace {

constexpr int block_words = 256;  // sync_solver::block_rails

struct words4 {
  __m512i v[4];
};

// 32 × 32 → 64-bit products of 16 lanes: vpmuludq multiplies the even lanes,
// so the odd lanes are shifted down for a second one, and each half of the
// result is put back in its lane by a masked swap of the 32-bit pairs.
IONRAIL_AVX512 inline void mulhilo(__m512i a, __m512i m, __m512i& lo, __m512i& hi) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
  lo = _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CDAB);
}

IONRAIL_AVX512 inline __m512i xor3(__m512i a, __m512i b, __m512i c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }

// Philox4x32-10 of sync_hop_counter(seed, step, half, rail, group) for 16
// consecutive rails. Only the rail word differs between lanes, so the
// products of the uniform words in the first two rounds are scalar.
IONRAIL_AVX512 inline words4 philox16(const std::uint32_t (&k0)[10], const std::uint32_t (&k1)[10], std::uint32_t c0,
                                      std::uint32_t c1, __m512i rails, std::uint32_t c3) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(PHILOX_M4x32_0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(PHILOX_M4x32_1));
  // Round 0: ctr = {c0, c1, rails, c3}.
  std::uint32_t hi0s;
  const std::uint32_t lo0s = mulhilo32(PHILOX_M4x32_0, c0, &hi0s);
  __m512i lo1, hi1;
  mulhilo(rails, m1, lo1, hi1);
  const __m512i x0 = _mm512_xor_si512(hi1, _mm512_set1_epi32(static_cast<int>(c1 ^ k0[0])));
  const __m512i x1 = lo1;
  const std::uint32_t x2s = hi0s ^ c3 ^ k1[0];
  const std::uint32_t x3s = lo0s;
  // Round 1: ctr = {x0, x1, x2s, x3s}.
  __m512i lo0, hi0;
  mulhilo(x0, m0, lo0, hi0);
  std::uint32_t hi1s;
  const std::uint32_t lo1s = mulhilo32(PHILOX_M4x32_1, x2s, &hi1s);
  words4 c;
  c.v[0] = _mm512_xor_si512(x1, _mm512_set1_epi32(static_cast<int>(hi1s ^ k0[1])));
  c.v[1] = _mm512_set1_epi32(static_cast<int>(lo1s));
  c.v[2] = _mm512_xor_si512(hi0, _mm512_set1_epi32(static_cast<int>(x3s ^ k1[1])));
  c.v[3] = lo0;
  for (int r = 2; r < 10; ++r) {
    __m512i l0, h0, l1, h1;
    mulhilo(c.v[0], m0, l0, h0);
    mulhilo(c.v[2], m1, l1, h1);
    const __m512i n0 = xor3(h1, c.v[1], _mm512_set1_epi32(static_cast<int>(k0[r])));
    const __m512i n2 = xor3(h0, c.v[3], _mm512_set1_epi32(static_cast<int>(k1[r])));
    c.v[0] = n0;
    c.v[1] = l1;
    c.v[2] = n2;
    c.v[3] = l0;
  }
  return c;
}

// thr[q] for 16 lanes of q < 128 from 8 registers: vpermt2d picks among 32
// entries by the low 5 bits, bits 5 and 6 choose between the four results.
IONRAIL_AVX512 inline __m512i lookup128(const __m512i (&t)[8], __m512i q, __mmask16 bit5, __mmask16 bit6) {
  const __m512i a = _mm512_permutex2var_epi32(t[0], q, t[1]);
  const __m512i b = _mm512_permutex2var_epi32(t[2], q, t[3]);
  const __m512i c = _mm512_permutex2var_epi32(t[4], q, t[5]);
  const __m512i d = _mm512_permutex2var_epi32(t[6], q, t[7]);
  return _mm512_mask_blend_epi32(bit6, _mm512_mask_blend_epi32(bit5, a, b), _mm512_mask_blend_epi32(bit5, c, d));
}

// The ions of one row that hop, by origin: their positions, packed
// (vpcompressd) so that counting them costs a load and an increment per hop,
// not per ion.
struct hop_log {
  alignas(64) std::uint32_t right[256 + 16];
  alignas(64) std::uint32_t left[256 + 16];
  int rights = 0;
  int lefts = 0;
};

// hop_target for 16 rails, as 32-bit lanes; hops are appended to the
// log's arrays (the counts are locals of the caller: kept in the log, they
// would be reloaded after every store, which may alias them).
IONRAIL_AVX512 inline __m512i hop16(__m512i q, __m512i ql, __m512i qr, __m512i draw, const __m512i (&tr)[8],
                                    const __m512i (&tt)[8], hop_log& log, int& rights, int& lefts) {
  const __m512i one = _mm512_set1_epi32(1);
  const __mmask16 bit5 = _mm512_test_epi32_mask(q, _mm512_set1_epi32(32));
  const __mmask16 bit6 = _mm512_test_epi32_mask(q, _mm512_set1_epi32(64));
  const __m512i thr_right = lookup128(tr, q, bit5, bit6);
  const __m512i thr_total = lookup128(tt, q, bit5, bit6);
  const __mmask16 room_right = _mm512_cmpgt_epi32_mask(_mm512_sub_epi32(qr, q), one);
  const __mmask16 room_left = _mm512_cmpgt_epi32_mask(_mm512_sub_epi32(q, ql), one);
  const __mmask16 below_right = _mm512_cmplt_epu32_mask(draw, thr_right);
  const __mmask16 go_right = below_right & room_right;
  const __mmask16 go_left = _mm512_mask_cmplt_epu32_mask(static_cast<__mmask16>(~below_right & room_left), draw, thr_total);
  _mm512_storeu_si512(log.right + rights, _mm512_maskz_compress_epi32(go_right, q));
  rights += __builtin_popcount(go_right);
  _mm512_storeu_si512(log.left + lefts, _mm512_maskz_compress_epi32(go_left, q));
  lefts += __builtin_popcount(go_left);
  const __m512i moved = _mm512_mask_add_epi32(q, go_right, q, one);
  return _mm512_mask_sub_epi32(moved, go_left, moved, one);
}

IONRAIL_AVX512 inline __m512i widen_low(__m512i words) { return _mm512_cvtepu16_epi32(_mm512_castsi512_si256(words)); }
IONRAIL_AVX512 inline __m512i widen_high(__m512i words) {
  return _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(words, 1));
}

// 32 rails per pass, so that the two halves are packed back into one
// register and stored whole: a narrowing store (vpmovdw to memory) is slow
// on AMD's cores.
IONRAIL_AVX512 void hop_row(std::uint16_t* row, const std::uint16_t* left, const std::uint16_t* right,
                            const std::uint32_t* u, int len, const __m512i (&tr)[8], const __m512i (&tt)[8],
                            hop_log& log) {
  const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
  int rights = 0, lefts = 0;
  int i = 0;
  for (; i + 32 <= len; i += 32) {
    const __m512i q = _mm512_loadu_si512(row + i);
    const __m512i ql = _mm512_loadu_si512(left + i);
    const __m512i qr = _mm512_loadu_si512(right + i);
    const __m512i low = hop16(widen_low(q), widen_low(ql), widen_low(qr), _mm512_loadu_si512(u + i), tr, tt, log, rights, lefts);
    const __m512i high =
        hop16(widen_high(q), widen_high(ql), widen_high(qr), _mm512_loadu_si512(u + i + 16), tr, tt, log, rights, lefts);
    // packus works within 128-bit lanes; the permutation restores rail order
    // (positions are below 128, so the saturation never acts).
    _mm512_storeu_si512(row + i, _mm512_permutexvar_epi64(order, _mm512_packus_epi32(low, high)));
  }
  for (; i < len; i += 16) {
    const int live_count = len - i < 16 ? len - i : 16;
    const auto live = static_cast<__mmask16>((1u << live_count) - 1u);
    // Lanes past the block read as q = 0 with both neighbours at 0: no room, no hop.
    const __m512i q = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, row + i));
    const __m512i ql = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, left + i));
    const __m512i qr = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(live, right + i));
    const __m512i moved = hop16(q, ql, qr, _mm512_maskz_loadu_epi32(live, u + i), tr, tt, log, rights, lefts);
    _mm256_mask_storeu_epi16(row + i, live, _mm512_cvtepi32_epi16(moved));
  }
  log.rights = rights;
  log.lefts = lefts;
}

// Two counters per origin, alternating, so that runs of hops from one site
// do not wait on each other's increments.
void count_hops(const std::uint32_t* origins, int count, int* first, int* second) {
  int j = 0;
  for (; j + 2 <= count; j += 2) {
    ++first[origins[j]];
    ++second[origins[j + 1]];
  }
  if (j < count) ++first[origins[j]];
}

}  // namespace

bool avx512_sweep_available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

IONRAIL_AVX512 void avx512_draws(std::uint64_t seed, std::uint64_t step, std::uint32_t half, std::uint32_t group,
                                 int first_rail, int len, std::uint32_t* draws) {
  const philox_words w = sync_hop_counter(seed, step, half, 0, group);
  // The round keys, as Philox4x32's bumpkey makes them.
  std::uint32_t k0[10], k1[10];
  k0[0] = w.key[0];
  k1[0] = w.key[1];
  for (int r = 1; r < 10; ++r) {
    k0[r] = k0[r - 1] + PHILOX_W32_0;
    k1[r] = k1[r - 1] + PHILOX_W32_1;
  }
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int i = 0; i < len; i += 16) {
    const __m512i rails = _mm512_add_epi32(_mm512_set1_epi32(first_rail + i), lane);
    const words4 d = philox16(k0, k1, w.ctr[0], w.ctr[1], rails, w.ctr[3]);
    for (int k = 0; k < 4; ++k) _mm512_store_si512(draws + k * block_words + i, d.v[k]);
  }
}

IONRAIL_AVX512 void avx512_sweep(const avx512_block& b) {
  __m512i tr[8], tt[8];
  for (int k = 0; k < 8; ++k) {
    tr[k] = _mm512_loadu_si512(b.thr_right + 16 * k);
    tt[k] = _mm512_loadu_si512(b.thr_total + 16 * k);
  }
  const int n = b.ions;
  hop_log log;
  for (std::uint32_t half = 0; half < 2; ++half) {
    for (std::uint32_t group = 0; half + 8 * group < static_cast<std::uint32_t>(n); ++group) {
      avx512_draws(b.seed, b.step, half, group, b.first_rail, b.len, b.draws);
      for (int k = 0; k < 4; ++k) {
        const int ion = static_cast<int>(half + 8 * group) + 2 * k;
        if (ion >= n) break;
        std::uint16_t* row = b.q_all + static_cast<std::size_t>(ion + 1) * b.stride + b.first_rail;
        hop_row(row, row - b.stride, row + b.stride, b.draws + k * block_words, b.len, tr, tt, log);
        count_hops(log.right, log.rights, b.hops_right, b.hops_right + avx512_table_entries);
        count_hops(log.left, log.lefts, b.hops_left, b.hops_left + avx512_table_entries);
      }
    }
  }
}

#else

bool avx512_sweep_available() { return false; }
void avx512_draws(std::uint64_t, std::uint64_t, std::uint32_t, std::uint32_t, int, int, std::uint32_t*) {
  throw std::logic_error("avx512_draws: not built for this target");
}
void avx512_sweep(const avx512_block&) { throw std::logic_error("avx512_sweep: not built for this target"); }

#endif

}  // namespace ionrail::kmc::detail
