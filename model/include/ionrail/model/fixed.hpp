#pragma once
// Two's-complement fixed point for the compact model (docs/compact-model-format.md).
//
// fixed<Int, Frac> holds an Int raw value r and means r · 2^-Frac. It has no
// arithmetic operators on purpose: every product in the model goes through
// fixed_mul (64-bit product, then the one rounding rule, then the one
// saturation rule), so each rounding is visible where it happens.
//
// The one rounding rule:   round_shift(x, n) = (x + 2^(n-1)) >> n   (n > 0),
//                          x (n = 0): round half up, arithmetic shift.
// The one saturation rule: saturate_range(x, lo, hi) = min(max(x, lo), hi);
//                          saturate<Int>(x) clamps to Int's range.
//
// Everything here is integer-only and IONRAIL_HD, except from_double and
// to_double, which are for setup, tests and analysis and never used in a step.
#include <cstdint>
#include <type_traits>

#include "ionrail/hd.hpp"

namespace ionrail::model {

// The rounding rule relies on >> of a negative value being an arithmetic
// shift (implementation-defined in C++17, guaranteed by GCC, Clang, MSVC, NVCC
// and required from C++20).
static_assert((std::int64_t{-3} >> 1) == -2, "arithmetic right shift required");
static_assert((std::int32_t{-1} >> 5) == -1, "arithmetic right shift required");

// Range of a signed integer type, usable in device code (no std:: calls).
template <class Int>
inline constexpr Int int_max = static_cast<Int>(~static_cast<std::uint64_t>(0) >> (65 - 8 * sizeof(Int)));
template <class Int>
inline constexpr Int int_min = static_cast<Int>(-int_max<Int> - 1);

// Round half up: add half an LSB of the result, then shift right
// arithmetically. Precondition: 0 <= shift <= 62 and x + 2^(shift-1) does not
// overflow (|x| <= 2^62 is always safe). The result r satisfies
// x/2^shift - 1/2 < r <= x/2^shift + 1/2.
IONRAIL_HD constexpr std::int64_t round_shift(std::int64_t x, int shift) noexcept {
  return (x + ((std::int64_t{1} << shift) >> 1)) >> shift;
}

// Clamp to [lo, hi] (lo <= hi), in the integer type T (int32 or int64: the
// narrower type keeps a scalar clamp in general registers). Written with two
// selects so loops over it vectorise to min/max.
template <class T>
IONRAIL_HD constexpr T saturate_range(T x, T lo, T hi) noexcept {
  static_assert(std::is_integral_v<T> && std::is_signed_v<T>, "saturate_range: signed integers only");
  const T a = x < lo ? lo : x;
  return a > hi ? hi : a;
}

// Clamp to the range of Int.
template <class Int>
IONRAIL_HD constexpr Int saturate(std::int64_t x) noexcept {
  return static_cast<Int>(saturate_range<std::int64_t>(x, int_min<Int>, int_max<Int>));
}

namespace detail {
// 2^n for |n| < 1100 as a double, exact, constexpr (no <cmath>).
constexpr double pow2(int n) noexcept {
  double r = 1.0;
  for (; n > 0; --n) r *= 2.0;
  for (; n < 0; ++n) r *= 0.5;
  return r;
}
// floor for doubles in the range where the caller has checked it fits int64.
inline std::int64_t floor_to_int64(double t) noexcept {
  const auto i = static_cast<std::int64_t>(t);  // truncates toward zero
  return (static_cast<double>(i) > t) ? i - 1 : i;
}
}  // namespace detail

template <class Int, int Frac>
class fixed {
  static_assert(std::is_integral_v<Int> && std::is_signed_v<Int> && !std::is_same_v<Int, bool>,
                "fixed: Int must be a signed integer type");
  static_assert(sizeof(Int) == 2 || sizeof(Int) == 4 || sizeof(Int) == 8,
                "fixed: Int must have 16, 32 or 64 bits");
  static_assert(Frac >= 0 && Frac < static_cast<int>(8 * sizeof(Int)),
                "fixed: need 0 <= Frac < number of bits of Int");

  struct raw_tag {};
  IONRAIL_HD constexpr fixed(raw_tag, Int r) noexcept : raw_(r) {}

 public:
  using raw_type = Int;
  static constexpr int bits = static_cast<int>(8 * sizeof(Int));
  static constexpr int frac_bits = Frac;
  static constexpr Int raw_max = int_max<Int>;
  static constexpr Int raw_min = int_min<Int>;
  // Value of one LSB, of the largest and of the smallest representable value.
  static constexpr double lsb = detail::pow2(-Frac);
  static constexpr double max_value = static_cast<double>(raw_max) * lsb;
  static constexpr double min_value = static_cast<double>(raw_min) * lsb;

  fixed() = default;  // trivial: uninitialised, like an int (keeps structs POD)

  IONRAIL_HD static constexpr fixed from_raw(Int r) noexcept { return fixed(raw_tag{}, r); }
  IONRAIL_HD constexpr Int raw() const noexcept { return raw_; }
  IONRAIL_HD static constexpr fixed max() noexcept { return from_raw(raw_max); }
  IONRAIL_HD static constexpr fixed min() noexcept { return from_raw(raw_min); }
  IONRAIL_HD static constexpr fixed zero() noexcept { return from_raw(0); }

  // Setup, tests and analysis only; never in a step. Nearest representable
  // value, ties rounded up (the same rule as round_shift), saturated to the
  // range; NaN maps to 0.
  static fixed from_double(double x) noexcept {
    const double t = x * detail::pow2(Frac) + 0.5;
    if (!(t == t)) return from_raw(0);
    if (t >= detail::pow2(bits - 1)) return max();
    if (t < -detail::pow2(bits - 1)) return min();
    return from_raw(static_cast<Int>(detail::floor_to_int64(t)));
  }
  // Exact for 16/32-bit formats; for int64 formats exact up to 2^53 LSB.
  double to_double() const noexcept { return static_cast<double>(raw_) * lsb; }

  IONRAIL_HD friend constexpr bool operator==(fixed a, fixed b) noexcept { return a.raw_ == b.raw_; }
  IONRAIL_HD friend constexpr bool operator!=(fixed a, fixed b) noexcept { return a.raw_ != b.raw_; }
  IONRAIL_HD friend constexpr bool operator<(fixed a, fixed b) noexcept { return a.raw_ < b.raw_; }
  IONRAIL_HD friend constexpr bool operator<=(fixed a, fixed b) noexcept { return a.raw_ <= b.raw_; }
  IONRAIL_HD friend constexpr bool operator>(fixed a, fixed b) noexcept { return a.raw_ > b.raw_; }
  IONRAIL_HD friend constexpr bool operator>=(fixed a, fixed b) noexcept { return a.raw_ >= b.raw_; }

 private:
  Int raw_;
};

template <class T>
struct is_fixed : std::false_type {};
template <class Int, int Frac>
struct is_fixed<fixed<Int, Frac>> : std::true_type {};
template <class T>
inline constexpr bool is_fixed_v = is_fixed<T>::value;

// R = A · B: exact product in 64 bits, round_shift by (Fa + Fb - Fr), then
// saturate to R. The product of two formats of at most 64 bits together fits
// (|a·b| <= 2^62), so no intermediate overflows.
template <class R, class A, class B>
IONRAIL_HD constexpr R fixed_mul(A a, B b) noexcept {
  static_assert(is_fixed_v<R> && is_fixed_v<A> && is_fixed_v<B>, "fixed_mul: fixed types only");
  static_assert(A::bits + B::bits <= 64, "fixed_mul: the product must fit in 64 bits");
  constexpr int shift = A::frac_bits + B::frac_bits - R::frac_bits;
  static_assert(shift >= 0 && shift <= 62, "fixed_mul: result may not have more fraction bits than the product");
  const std::int64_t p = static_cast<std::int64_t>(a.raw()) * static_cast<std::int64_t>(b.raw());
  return R::from_raw(saturate<typename R::raw_type>(round_shift(p, shift)));
}

}  // namespace ionrail::model
