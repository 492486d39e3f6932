#pragma once
// The hardware file (e.g. materials/hardware_45nm.toml): the numbers of the
// crossbar hardware cost model (circuits/hardware_cost.hpp), each with its
// source, `key = { value = NUMBER, source = "where it comes from" }`. Every
// key is required. Its keys are declared once, in config/src/hardware_keys.cpp.
#include <string>
#include <vector>

#include <ionrail/circuits/hardware_cost.hpp>

namespace ionrail::config {

struct hardware_entry {
  std::string key;     // "adc.fom_walden_j"
  std::string unit;    // "J"
  double value = 0;
  std::string source;
};

struct hardware_file {
  std::string path;
  circuits::hardware_params params;
  std::vector<hardware_entry> entries;  // in declaration order, for reports
};

// Throws config_error ("FILE[:LINE]: section.key ...", the CLI exits 2) on an
// unreadable file, a bad TOML text, an unknown section or key, a key
// missing, a value not a table of value and source, a missing or empty
// source, or a value out of its range.
hardware_file load_hardware_file(const std::string& path);

// One line per key: "section.key  unit  range  meaning" (docs).
std::string hardware_keys_text();

}  // namespace ionrail::config
