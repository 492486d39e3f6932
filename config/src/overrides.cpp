#include "overrides.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

#include <ionrail/config/run_config.hpp>

#include "files.hpp"
#include "message_text.hpp"

namespace ionrail::config::detail {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

bool bare_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

override_item parse_override(const std::string& text) {
  override_item item;
  item.text = text;
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw config_error("--set " + text + ": expected key=value");
  const std::string key = trim(text.substr(0, eq));
  const std::string value = trim(text.substr(eq + 1));
  if (key.empty()) throw config_error("--set " + text + ": expected key=value (the key is empty)");
  // Bounded before anything is parsed, as a file is (files.hpp: toml++
  // recurses per key part and per nesting level); the message quotes only
  // the start of so long a text.
  const std::string shown = text.size() > 80 ? text.substr(0, 80) + "..." : text;
  if (static_cast<std::size_t>(std::count(key.begin(), key.end(), '.')) >= max_key_parts)
    throw config_error("--set " + shown + ": a dotted key of more than " + std::to_string(max_key_parts) +
                       " parts: at most " + std::to_string(max_key_parts));
  {
    std::size_t line = 0;
    std::string why;
    if (!toml_within_bounds("v = " + value, line, why)) throw config_error("--set " + shown + ": " + why);
  }
  const auto bad_key = [&] {
    return config_error("--set " + text + ": '" + key +
                        "' is not a dotted key (e.g. device.sites or species[0].fill)");
  };
  std::size_t pos = 0;
  while (true) {
    key_segment seg;
    while (pos < key.size() && bare_key_char(key[pos])) seg.name += key[pos++];
    if (seg.name.empty()) throw bad_key();
    if (pos < key.size() && key[pos] == '[') {
      const auto close = key.find(']', pos);
      if (close == std::string::npos || close == pos + 1) throw bad_key();
      const std::string digits = key.substr(pos + 1, close - pos - 1);
      if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6) throw bad_key();
      seg.index = static_cast<std::size_t>(std::stoul(digits));
      pos = close + 1;
    }
    item.key = seg.index ? join(item.key, seg.name) + "[" + std::to_string(*seg.index) + "]" : join(item.key, seg.name);
    item.segments.push_back(std::move(seg));
    if (pos == key.size()) break;
    if (key[pos] != '.') throw bad_key();
    ++pos;
  }
  // A TOML value if it parses as one, else (a bare word) a string.
  try {
    toml::table t = toml::parse("v = " + value, std::string_view(set_origin));
    if (t.size() == 1 && t.contains("v")) {
      item.holder = std::move(t);
      return item;
    }
  } catch (const toml::parse_error& e) {
    if (!value.empty() && std::string_view("\"'[{").find(value[0]) != std::string_view::npos)
      throw config_error("--set " + text + ": not a TOML value: " + one_line(std::string(e.description())));
  }
  item.holder.insert("v", value);
  return item;
}

}  // namespace ionrail::config::detail
