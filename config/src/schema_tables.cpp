// The schema assembled from the declarations, and the range and default
// texts that messages and the docs share.
#include "schema_tables.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "message_text.hpp"

namespace ionrail::config {

bool value_range::contains(double v) const {
  return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
}

namespace detail {
namespace {

// A default's number as the docs show it: short (1e-6, 0.3333), not exact.
std::string doc_number(double v) {
  const std::string exact = format_bound(v);
  if (exact.size() <= 8) return exact;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string interval_of(const value_range& r, bool for_docs) {
  const bool lo = std::isfinite(r.lo), hi = std::isfinite(r.hi);
  if (lo && hi)
    return std::string(r.lo_open ? "(" : "[") + format_bound(r.lo) + ", " + format_bound(r.hi) + (r.hi_open ? ")" : "]");
  // Messages spell out what the docs' "> 0" means (finite, then > 0).
  const std::string finite = for_docs ? "" : "finite and ";
  if (lo) return finite + (r.lo_open ? "> " : (for_docs ? "≥ " : ">= ")) + format_bound(r.lo);
  if (hi) return finite + (r.hi_open ? "< " : (for_docs ? "≤ " : "<= ")) + format_bound(r.hi);
  return "finite";
}

bool numeric(value_type t) { return t == value_type::number || t == value_type::numbers; }

}  // namespace

const key_def* section_def::find(std::string_view name) const {
  for (const auto& k : keys)
    if (k.spec.name == name) return &k;
  return nullptr;
}

const std::vector<section_def>& schema() {
  // The top level lists its sections in this order ("valid sections and keys: ...").
  static const std::vector<section_def> all = [] {
    std::vector<section_def> s;
    for (auto declare : {top_level_section, device_section, species_section, rail_class_section, field_section,
                         sim_section, readout_section, protocol_section, output_section, series_section,
                         calibration_section, crossbar_section, snn_section, fit_section, measured_table_section, sweep_section,
                         site_energy_section, fit_curve_section, fit_parameter_section, measured_table_train_section})
      s.push_back(declare());
    return s;
  }();
  return all;
}

const section_def& section_named(std::string_view name) {
  for (const auto& s : schema())
    if (s.spec.name == name) return s;
  throw std::logic_error("ionrail::config: no section '" + std::string(name) + "' in the schema");
}

bool is_array_of_tables(std::string_view name) {
  for (const auto& s : schema()) {
    if (s.spec.array_of_tables && !s.spec.nested && s.spec.name == name) return true;
    for (const auto& k : s.keys)
      if (k.spec.type == value_type::tables && k.spec.name == name) return true;
  }
  return false;
}

std::string default_text(value_type type, const binding& b) {
  static const run_config defaults;
  switch (type) {
    case value_type::number: return doc_number(b.numbers(defaults, 0).at(0));
    case value_type::string:
    case value_type::choice:
    case value_type::file:
    case value_type::directory: {
      const std::string s = b.text(defaults, 0);
      return s.empty() ? "none" : "`" + quote(s) + "`";
    }
    case value_type::numbers: return "`" + b.text(defaults, 0) + "`";
    default: return b.text(defaults, 0);
  }
}

}  // namespace detail

const std::vector<section_spec>& schema_sections() {
  static const std::vector<section_spec> all = [] {
    std::vector<section_spec> out;
    for (const auto& s : detail::schema()) out.push_back(s.spec);
    return out;
  }();
  return all;
}

const std::vector<key_spec>& schema_keys() {
  static const std::vector<key_spec> all = [] {
    std::vector<key_spec> out;
    for (const auto& s : detail::schema())
      for (const auto& k : s.keys) out.push_back(k.spec);
    return out;
  }();
  return all;
}

std::string range_text(const key_spec& k, bool for_docs) {
  std::string out;
  if (!k.phrase.empty()) {
    out = std::string(k.phrase);
  } else if (for_docs && k.type == value_type::choice) {
    for (auto c : k.choices) out += (out.empty() ? "`" : ", `") + detail::quote(c) + "`";
  } else if (for_docs && k.type == value_type::boolean) {
    out = "true/false";
  } else {
    std::string interval(k.interval);
    if (interval.empty() && k.range) interval = detail::interval_of(*k.range, for_docs);
    if (!interval.empty()) {
      const bool bracket = interval[0] == '[' || interval[0] == '(';
      if (for_docs) {
        if (k.type == value_type::integer || k.type == value_type::count)
          out = std::string("integer ") + (bracket ? "in " : "");
        else if (k.type == value_type::numbers)
          out = "each ";
        out += interval;
      } else {
        out = (bracket ? "in " : "") + interval;
        if (bracket && detail::numeric(k.type) && !k.unit.empty()) out += " " + std::string(k.unit);
      }
    }
  }
  if (!k.note.empty()) out += (out.empty() ? "" : " ") + std::string(k.note);
  return out;
}

}  // namespace ionrail::config
