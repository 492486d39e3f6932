#pragma once
// The schema as the loader uses it: sections of declared keys, each key bound
// to its field of run_config (bindings.hpp), and the few hand-written parts a
// section needs (landscapes, a [series] check). Built once from the
// declarations in the *_keys.cpp files; ionrail/config/schema.hpp is its
// public, descriptive view.
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ionrail/config/run_config.hpp>
#include <ionrail/config/schema.hpp>

#include "bindings.hpp"
#include "loader.hpp"
#include "tomlpp.hpp"

namespace ionrail::config::detail {

struct key_def {
  key_spec spec;
  binding_ptr bind;                  // null: read by the section's own code (spec.hand_read)
  bool (*accept)(double) = nullptr;  // a condition beyond the range (v_step_v: a power of two)
};

// The entries of an array of tables: the vector its section fills.
class entry_list {
 public:
  virtual ~entry_list() = default;
  virtual std::size_t size(const run_config& c) const = 0;
  virtual void reset(run_config& c, std::size_t n) const = 0;  // n entries with the struct defaults
};

template <class List>
class vector_entries : public entry_list {
 public:
  explicit vector_entries(List list) : list_(std::move(list)) {}
  std::size_t size(const run_config& c) const override { return list_(c).size(); }
  void reset(run_config& c, std::size_t n) const override {
    list_(c).clear();
    list_(c).resize(n);
  }

 private:
  List list_;
};

// A section's own code: reading its special keys after the declared ones
// (once per entry for an array of tables), and writing what they give to the JSON.
using read_hook = void (*)(const loader& l, const toml::table& t, const std::string& path, run_config& c,
                           std::size_t entry);
using write_hook = void (*)(toml::table& out, const run_config& c, std::size_t entry);

struct section_def {
  section_spec spec;
  std::vector<key_def> keys;
  key_list key_names;                      // the valid keys, in declaration order
  std::shared_ptr<const entry_list> entries;  // an array of tables: its entries
  std::string_view selector;               // the key choosing which kind-specific keys apply ("kind")
  bool (*in_json)(const run_config&) = nullptr;  // null: always in the resolved JSON
  read_hook read_more = nullptr;
  write_hook write_more = nullptr;

  const key_def* find(std::string_view name) const;
};

// Every section: the top level (""), the top-level sections in order, the nested ones.
const std::vector<section_def>& schema();
const section_def& section_named(std::string_view name);
// Whether NAME is an array of tables ([[species]], [[device.site_energy]]).
bool is_array_of_tables(std::string_view name);

// ---------------------------------------------------------------- declaring

inline constexpr double unbounded = std::numeric_limits<double>::infinity();
inline value_range closed(double lo, double hi) { return {lo, hi, false, false}; }        // [lo, hi]
inline value_range open(double lo, double hi) { return {lo, hi, true, true}; }           // (lo, hi)
inline value_range open_closed(double lo, double hi) { return {lo, hi, true, false}; }   // (lo, hi]
inline value_range greater_than(double lo) { return {lo, unbounded, true, false}; }      // finite, > lo
inline value_range at_least(double lo) { return {lo, unbounded, false, false}; }         // finite, >= lo

// Sets the parts of one declared key: .unit("nm").range(greater_than(0)).doc("...").
class key_builder {
 public:
  explicit key_builder(key_def& k) : k_(k) {}
  key_builder& unit(std::string_view u) {
    k_.spec.unit = u;
    return *this;
  }
  key_builder& doc(std::string_view d) {
    k_.spec.doc = d;
    return *this;
  }
  key_builder& kind(std::string_view k) {
    k_.spec.kind = k;
    return *this;
  }
  key_builder& range(value_range r) {
    k_.spec.range = r;
    return *this;
  }
  key_builder& interval(std::string_view s) {
    k_.spec.interval = s;
    return *this;
  }
  key_builder& phrase(std::string_view s) {
    k_.spec.phrase = s;
    return *this;
  }
  key_builder& note(std::string_view s) {
    k_.spec.note = s;
    return *this;
  }
  key_builder& accept(bool (*f)(double)) {
    k_.accept = f;
    return *this;
  }
  key_builder& default_doc(std::string_view s) {
    k_.spec.default_text = std::string(s);
    return *this;
  }
  key_builder& checked_by_loader() {
    k_.spec.checker = checked_by::loader;
    return *this;
  }

 private:
  key_def& k_;
};

// The default a bound key shows in the docs, from a default run_config.
std::string default_text(value_type type, const binding& b);

// Declares one section's keys. LOCATE finds the struct its keys live in
// (run_config, or an entry of an array of tables); each key names its field
// with a generic lambda, [](auto& c) -> auto& { return c.device.sites; },
// whose type gives the key's type.
template <class Locate>
class section_builder {
 public:
  section_builder(section_spec spec, Locate locate) : locate_(std::move(locate)) { s_.spec = spec; }

  template <class Field>
  key_builder key(std::string_view name, Field field) {
    located_field<Locate, Field> at(locate_, std::move(field));
    using T = typename located_field<Locate, Field>::field_type;
    return add(name, field_traits<T>::type, std::make_shared<value_binding<decltype(at)>>(std::move(at)));
  }

  template <class Field, class T>
  key_builder choice(std::string_view name, Field field, choices<T> options) {
    located_field<Locate, Field> at(locate_, std::move(field));
    auto b = std::make_shared<choice_binding<decltype(at)>>(std::move(at), std::move(options));
    auto k = add(name, value_type::choice, b);
    s_.keys.back().spec.choices = b->names();
    return k;
  }

  template <class Field>
  key_builder path(std::string_view name, Field field, path_kind kind) {
    located_field<Locate, Field> at(locate_, std::move(field));
    return add(name, kind == path_kind::directory ? value_type::directory : value_type::file,
               std::make_shared<path_binding<decltype(at)>>(std::move(at), kind));
  }

  // A key the section's read_more reads.
  key_builder hand(std::string_view name, value_type type) {
    auto k = add(name, type, nullptr);
    s_.keys.back().spec.hand_read = true;
    return k;
  }

  section_builder& in_material() {
    s_.spec.in_material = true;
    return *this;
  }
  // An array of tables inside other tables, read by their sections' own code.
  section_builder& nested() {
    s_.spec.array_of_tables = true;
    s_.spec.nested = true;
    return *this;
  }
  section_builder& foreign() {
    s_.spec.foreign = true;
    return *this;
  }
  // kmc::validate checks the ranges of the keys declared after this.
  section_builder& engine_checked() {
    checker_ = checked_by::engine;
    return *this;
  }
  section_builder& selector(std::string_view key) {
    s_.selector = key;
    return *this;
  }
  section_builder& in_json(bool (*when)(const run_config&)) {
    s_.in_json = when;
    return *this;
  }
  section_builder& read_more(read_hook h) {
    s_.read_more = h;
    return *this;
  }
  section_builder& write_more(write_hook h) {
    s_.write_more = h;
    return *this;
  }
  section_builder& entries(std::shared_ptr<const entry_list> e) {
    s_.entries = std::move(e);
    return *this;
  }

  section_def done() {
    for (const auto& k : s_.keys) s_.key_names.push_back(k.spec.name);
    return std::move(s_);
  }

 private:
  key_builder add(std::string_view name, value_type type, binding_ptr b) {
    key_def k;
    k.spec.section = s_.spec.name;
    k.spec.name = name;
    k.spec.type = type;
    k.spec.checker = checker_;
    if (b) k.spec.default_text = default_text(type, *b);
    k.bind = std::move(b);
    s_.keys.push_back(std::move(k));
    return key_builder(s_.keys.back());
  }

  Locate locate_;
  section_def s_;
  checked_by checker_ = checked_by::loader;
};

// A table of keys in run_config: [sim].
inline section_builder<whole_config> plain_section(section_spec spec) {
  return section_builder<whole_config>(spec, whole_config{});
}

// An array of tables filling the vector LIST gives: [[species]].
template <class List>
section_builder<entry_of<List>> table_list_section(section_spec spec, List list) {
  spec.array_of_tables = true;
  section_builder<entry_of<List>> s(spec, entry_of<List>{list});
  s.entries(std::make_shared<vector_entries<List>>(list));
  return s;
}

// The declarations (device_keys.cpp, run_keys.cpp, calibration_keys.cpp, circuit_keys.cpp).
section_def top_level_section();
section_def device_section();
section_def species_section();
section_def rail_class_section();
section_def site_energy_section();
section_def field_section();
section_def sim_section();
section_def readout_section();
section_def protocol_section();
section_def output_section();
section_def series_section();
section_def sweep_section();
section_def calibration_section();
section_def crossbar_section();
section_def snn_section();
section_def fit_section();
section_def fit_curve_section();
section_def fit_parameter_section();
section_def measured_table_section();
// v = 2^k for an integer k (the tables' voltage steps: the model finds the
// voltage index by a shift).
bool power_of_two(double v);
section_def measured_table_train_section();

}  // namespace ionrail::config::detail
