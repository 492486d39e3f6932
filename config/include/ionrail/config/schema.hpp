#pragma once
// The one declaration of every key of the run configuration: its section,
// type, unit, valid range, default and meaning (config/src/*_keys.cpp).
// The loader reads and checks the keys from it, resolved_parameters_json
// writes them, and docs/config.md and the fuzz dictionary are generated from
// it (the config_doc program). How to add a key: docs/extending.md.
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ionrail::config {

enum class value_type {
  number,     // an integer or a float
  integer,    // an integer, or a float with an integral value
  count,      // an integer >= 0 (64 bits: seeds)
  boolean,
  string,
  choice,     // a string from the key's choices
  numbers,    // an array of numbers
  file,       // a string naming a file, relative to the file that named it
  directory,  // likewise a directory
  tables,     // an array of tables, whose keys are a (nested) section of their own
};

// The values a numeric key, or each entry of an array of numbers, accepts:
// finite, from lo to hi, each end included unless open.
struct value_range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  bool contains(double v) const;
};

// Who refuses a value out of range: the loader, from the declaration, or
// kmc::validate(), whose checks also relate keys to each other (zones <=
// sites, g_min_s <= g_max_s); the declaration then documents the engine's
// range, and test_config_schema checks that both ends are refused.
enum class checked_by { loader, engine };

struct key_spec {
  std::string_view section;  // "device", "species", "device.site_energy"; "" for the top level
  std::string_view name;
  value_type type = value_type::number;
  std::string_view unit;     // "nm", "V", "steps"; "" for none
  std::string_view doc;      // what it means, one line
  std::string_view kind;     // the protocol kind the key belongs to; "" for every kind
  std::vector<std::string_view> choices;
  std::optional<value_range> range;
  checked_by checker = checked_by::loader;
  std::string_view interval;  // the range as shown where lo/hi would mislead (a floor of 1e-6 shown as "(0, 1]")
  std::string_view phrase;    // the whole "must be ..." text, for a range no interval describes
  std::string_view note;      // after the range in messages and docs: "(0: all)"
  std::string default_text;   // the default as the docs show it, from the struct's own default
  bool hand_read = false;     // read by code of its own (files, arrays of tables), declared for docs and key lists
};

struct section_spec {
  std::string_view name;       // as in the TOML file; "" for the top level
  std::string_view doc;        // what it is for, one line
  bool array_of_tables = false;
  bool in_material = false;    // a material file may hold it
  bool nested = false;         // an array of tables inside other tables ([[device.site_energy]])
  bool foreign = false;        // read by another command ([sweep]: `ionrail sweep`); the loader lets it be
};

// Sections in the order the top level lists them, then the nested ones.
const std::vector<section_spec>& schema_sections();
// Every key, section by section, in declaration order.
const std::vector<key_spec>& schema_keys();

// The valid range of KEY as an error message words it after "must be "
// ("in [1, 1000]", "finite and > 0"), or as the docs' "valid range" column
// shows it ("integer in [1, 1000]", "> 0"); "" if the key has none.
std::string range_text(const key_spec& key, bool for_docs);

// docs/config.md: TEMPLATE (docs/config.md.in) with each line "{{keys SECTION}}"
// replaced by the table of SECTION's keys (those of every protocol kind),
// "{{kind_keys SECTION}}" by the table of its kind-specific keys and
// "{{top_level_keys}}" by the top level's. Throws std::invalid_argument for an
// unknown placeholder or a section with keys that the template leaves out.
std::string config_markdown(std::string_view template_text);

// tests/fuzz/config.dict: sections, keys, choices and edge values for libFuzzer.
std::string fuzz_dictionary();

}  // namespace ionrail::config
