#pragma once
// Whether this test binary was built with AddressSanitizer. The tests that
// run the `ionrail` command end to end (signals, locks, resumes) make their
// runs smaller there: the sanitized command is 10-15 times slower, and the
// code paths they check do not depend on the number of rails.
namespace ionrail_test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool sanitized_build = true;
#else
inline constexpr bool sanitized_build = false;
#endif
#else
inline constexpr bool sanitized_build = false;
#endif

// `normal` in a plain build, `sanitized` in a sanitized one.
template <typename T>
constexpr T sanitizer_sized(T normal, T sanitized) {
  return sanitized_build ? sanitized : normal;
}

}  // namespace ionrail_test
