#include "message_text.hpp"

#include <ionrail/model_io/table_files.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace ionrail::config::detail {

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_plain(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    char whole[24];
    std::snprintf(whole, sizeof whole, "%lld", static_cast<long long>(v));
    return whole;
  }
  return format_number(v);
}

std::string format_short(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string format_bound(double v) {
  // Round powers of ten read better as 1e6 than as 1000000; other whole
  // numbers (65533, 2147483584) in full.
  const double a = std::fabs(v);
  const int e = a > 0 ? static_cast<int>(std::lround(std::log10(a))) : 0;
  const bool power_of_ten = a > 0 && std::strtod(("1e" + std::to_string(e)).c_str(), nullptr) == a;
  if (power_of_ten && (a >= 1e6 || a <= 1e-3)) return (v < 0 ? "-1e" : "1e") + std::to_string(e);
  if (v == std::floor(v) && a < 1e15) return format_plain(v);
  std::string s = format_number(v);  // "0.25", "2.5e-09", "1.5e+30"
  const auto at = s.find('e');
  if (at == std::string::npos) return s;
  std::string exponent = s.substr(at + 1);
  const bool negative = exponent[0] == '-';
  exponent.erase(0, exponent.find_first_not_of("+-0"));
  return s.substr(0, at) + "e" + (negative ? "-" : "") + exponent;
}

// As JSON writes a string (the one escaping rule of the project's outputs).
std::string quote(std::string_view s) { return model_io::json_quote(std::string(s)); }

namespace {

std::string show_full(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return quote(n.as_string()->get());
    case toml::node_type::integer: return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return format_number(n.as_floating_point()->get());
    case toml::node_type::boolean: return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array: {
      std::string out = "[";
      const auto& a = *n.as_array();
      for (std::size_t i = 0; i < a.size() && out.size() < 80; ++i) out += (i ? ", " : "") + show_full(a[i]);
      return out + "]";
    }
    case toml::node_type::table: {
      std::string out = "{";
      bool first = true;
      for (auto&& [k, v] : *n.as_table()) {
        if (out.size() >= 80) break;
        out += (first ? "" : ", ") + std::string(k.str()) + " = " + show_full(v);
        first = false;
      }
      return out + "}";
    }
    default: {
      std::ostringstream os;
      n.visit([&os](auto&& v) { os << v; });
      return os.str();
    }
  }
}

}  // namespace

std::string show(const toml::node& n) {
  std::string s = show_full(n);
  if (s.size() > 60) s = s.substr(0, 56) + " ...";
  return s;
}

std::string describe(const std::string& path, const toml::node& n) {
  return n.is_table() || n.is_array_of_tables() ? path : path + " = " + show(n);
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace ionrail::config::detail
