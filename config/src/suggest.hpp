#pragma once
// "Did you mean": the closest valid key for a typo, a key of another
// section, or the place a setting a reader of params.hpp might guess lives.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ionrail::config::detail {

// The closest candidate, if close enough: a few edits (about a third of the
// word), or the word with its unit suffix left off ("thickness" → "thickness_nm").
std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates);

// ", did you mean 'X'?" or "; valid keys: ..." for an unknown KEY in SECTION
// ("" for the top level) whose valid keys are ALLOWED.
std::string suggestion(std::string_view key, std::string_view section, const std::vector<std::string_view>& allowed);

// The choice a user probably meant by WORD ("gpu" → "cuda"), if among NAMES.
std::optional<std::string_view> choice_alias(std::string_view word, const std::vector<std::string_view>& names);

}  // namespace ionrail::config::detail
