#pragma once
// `--set KEY=VALUE`: a dotted key (entries of arrays indexed from 0) and a
// TOML value, or a bare word taken as a string.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tomlpp.hpp"

namespace ionrail::config::detail {

struct key_segment {
  std::string name;
  std::optional<std::size_t> index;
};

struct override_item {
  std::string text;  // as given
  std::string key;   // canonical dotted key
  std::vector<key_segment> segments;
  toml::table holder;  // holds the value as "v"
  const toml::node& value() const { return *holder.get("v"); }
};

// Throws config_error "--set TEXT: what is wrong".
override_item parse_override(const std::string& text);

}  // namespace ionrail::config::detail
