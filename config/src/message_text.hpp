#pragma once
// Values and keys as error messages and the docs show them: one line,
// TOML-like, numbers in their shortest exact form.
#include <cstddef>
#include <string>
#include <string_view>

#include "tomlpp.hpp"

namespace ionrail::config::detail {

std::string format_number(double v);  // shortest text that reads back to v
std::string format_plain(double v);   // whole numbers in full (900, not 9e+02)
std::string format_short(double v);   // three significant digits, for derived numbers
// A bound of a range as messages and docs give it: 65533, 0.5, 1e6, 1e-3.
std::string format_bound(double v);

std::string quote(std::string_view s);
std::string show(const toml::node& n);  // at most 60 characters
// A key with its value, or just the key for a table.
std::string describe(const std::string& path, const toml::node& n);
std::string one_line(std::string s);

std::string join(const std::string& path, std::string_view key);
std::string indexed(const std::string& path, std::size_t i);

}  // namespace ionrail::config::detail
