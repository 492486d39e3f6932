#pragma once
// The message of the ionrail::input_error a call throws, for tests of
// refusals ("FILE:LINE: what, expected what").
#include <string>

#include <ionrail/model_io/input_error.hpp>

namespace ionrail_test {

// What `f` refused with ("" if it did not throw input_error).
template <class F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const ionrail::input_error& e) {
    return e.what();
  }
  return {};
}

inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace ionrail_test
