// The hardware file's keys, declared once (name, unit, range, meaning, the
// field it fills), and its reader: every number comes as
// `{ value = ..., source = "..." }` so that a cost names where it comes from.
#include <ionrail/config/hardware_file.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <ionrail/config/run_config.hpp>

#include "files.hpp"
#include "message_text.hpp"
#include "tomlpp.hpp"

namespace ionrail::config {
namespace {

struct hw_key {
  const char* section;
  const char* name;
  const char* unit;
  double lo, hi;  // closed range
  const char* doc;
  std::function<void(circuits::hardware_params&, double)> set;
  bool integer = false;
};

// Ranges: positive and finite, bounded where a larger value is a typo of
// units by orders of magnitude (1 J per conversion).
const std::vector<hw_key>& hw_keys() {
  using hp = circuits::hardware_params;
  static const std::vector<hw_key> keys = {
      {"adc", "fom_walden_j", "J/conversion-step", 1e-18, 1e-9, "Walden figure of merit: E = FOM_W · 2^ENOB per conversion",
       [](hp& h, double v) { h.adc_fom_walden_j = v; }},
      {"adc", "conversion_s", "s", 1e-12, 1e-3, "time of one conversion",
       [](hp& h, double v) { h.adc_conversion_s = v; }},
      {"adc", "area_m2", "m²", 1e-15, 1e-4, "area of one ADC", [](hp& h, double v) { h.adc_area_m2 = v; }},
      {"adc", "columns_per_adc", "columns", 1, 1024, "columns multiplexed onto one ADC",
       [](hp& h, double v) { h.columns_per_adc = static_cast<int>(v); }, true},
      {"dac", "energy_j", "J", 0, 1e-9, "one row's DAC conversion, line charge aside",
       [](hp& h, double v) { h.dac_energy_j = v; }},
      {"dac", "area_m2", "m²", 1e-15, 1e-4, "one row's DAC and driver", [](hp& h, double v) { h.dac_area_m2 = v; }},
      {"array", "read_time_s", "s", 1e-12, 1e-3, "t_read: the bit lines integrate the current this long",
       [](hp& h, double v) { h.read_time_s = v; }},
      {"array", "cell_pitch_m", "m", 1e-9, 1e-3, "device pitch along a line (cell area = pitch²)",
       [](hp& h, double v) { h.cell_pitch_m = v; }},
      {"array", "wire_cap_f_per_m", "F/m", 0, 1e-8, "word-line capacitance per length",
       [](hp& h, double v) { h.wire_cap_f_per_m = v; }},
      {"digital", "int_add_energy_j", "J", 0, 1e-9, "one 32-bit integer add", [](hp& h, double v) { h.int_add_energy_j = v; }},
      {"digital", "int_add_area_m2", "m²", 0, 1e-6, "one 32-bit integer adder", [](hp& h, double v) { h.int_add_area_m2 = v; }},
      {"digital", "fp_add_energy_j", "J", 0, 1e-9, "one 32-bit float add", [](hp& h, double v) { h.fp_add_energy_j = v; }},
      {"digital", "fp_add_area_m2", "m²", 0, 1e-6, "one 32-bit float adder", [](hp& h, double v) { h.fp_add_area_m2 = v; }},
      {"digital", "fp_mult_energy_j", "J", 0, 1e-9, "one 32-bit float multiply", [](hp& h, double v) { h.fp_mult_energy_j = v; }},
      {"digital", "fp_mult_area_m2", "m²", 0, 1e-6, "one 32-bit float multiplier", [](hp& h, double v) { h.fp_mult_area_m2 = v; }},
      {"sram", "bit_energy_j", "J", 0, 1e-9, "reading or writing one bit", [](hp& h, double v) { h.sram_bit_energy_j = v; }},
      {"sram", "bit_area_m2", "m²", 1e-16, 1e-9, "one 6T cell", [](hp& h, double v) { h.sram_bit_area_m2 = v; }},
  };
  return keys;
}

std::string at(const std::string& file, const toml::node& n) {
  const auto& b = n.source().begin;
  return b.line > 0 ? file + ":" + std::to_string(b.line) : file;
}

std::string valid_keys(const std::string& section) {
  std::string out;
  for (const auto& k : hw_keys())
    if (section == k.section) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

}  // namespace

hardware_file load_hardware_file(const std::string& path) {
  std::string text, why;
  if (!detail::read_text(path, text, why)) throw config_error(path + ": " + why);
  const toml::table t = detail::parse_toml(path, text);
  hardware_file out;
  out.path = path;
  // Unknown sections and keys first: a typo is named, not reported missing.
  for (const auto& [sec, node] : t) {
    const std::string s(sec.str());
    const std::string keys = valid_keys(s);
    if (keys.empty())
      throw config_error(at(path, node) + ": [" + s + "]: unknown section; valid sections: [adc], [dac], [array], "
                                          "[digital], [sram]");
    const toml::table* st = node.as_table();
    if (!st) throw config_error(at(path, node) + ": " + s + ": must be a table");
    for (const auto& [name, v] : *st) {
      bool known = false;
      for (const auto& k : hw_keys()) known = known || (s == k.section && name.str() == k.name);
      if (!known)
        throw config_error(at(path, v) + ": " + s + "." + std::string(name.str()) + ": unknown key; valid keys of [" + s +
                           "]: " + keys);
    }
  }
  for (const auto& k : hw_keys()) {
    const std::string key = std::string(k.section) + "." + k.name;
    const toml::node* n = t.at_path(key).node();
    if (!n)
      throw config_error(path + ": " + key + ": missing; every number of the hardware file is required, as " + key +
                         " = { value = NUMBER, source = \"...\" } (" + k.doc + ", " + k.unit + ")");
    const toml::table* e = n->as_table();
    if (!e)
      throw config_error(at(path, *n) + ": " + key + ": must be { value = NUMBER, source = \"...\" }: every number "
                                                     "names its source");
    for (const auto& [f, fv] : *e)
      if (f.str() != "value" && f.str() != "source")
        throw config_error(at(path, fv) + ": " + key + "." + std::string(f.str()) +
                           ": unknown field; an entry has `value` and `source`");
    const auto value = (*e)["value"].value<double>();
    if (!value) throw config_error(at(path, *n) + ": " + key + ".value: missing or not a number (" + k.unit + ")");
    const auto source = (*e)["source"].value<std::string>();
    if (!source || source->find_first_not_of(" \t") == std::string::npos)
      throw config_error(at(path, *n) + ": " + key + ".source: missing or empty; every number names its source");
    const double v = *value;
    const std::string range = "[" + detail::format_number(k.lo) + ", " + detail::format_number(k.hi) + "] " + k.unit;
    if (!std::isfinite(v) || v < k.lo || v > k.hi || (k.integer && v != std::floor(v)))
      throw config_error(at(path, *n) + ": " + key + " = " + detail::format_number(v) + ": must be " +
                         (k.integer ? "an integer " : "") + "in " + range);
    k.set(out.params, v);
    out.entries.push_back({key, k.unit, v, *source});
  }
  return out;
}

std::string hardware_keys_text() {
  std::string out;
  for (const auto& k : hw_keys())
    out += std::string(k.section) + "." + k.name + " | " + k.unit + " | [" + detail::format_number(k.lo) + ", " +
           detail::format_number(k.hi) + "] | " + k.doc + "\n";
  return out;
}

}  // namespace ionrail::config
