#pragma once
// How a declared key reaches run_config: read from the merged document into
// its field, written to the resolved-parameters JSON, its numbers for range
// checks, its value as text for the docs. One template per kind of field;
// a declaration (the *_keys.cpp files) picks one by the field's C++ type.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <ionrail/config/run_config.hpp>
#include <ionrail/config/schema.hpp>

#include "loader.hpp"
#include "message_text.hpp"
#include "tomlpp.hpp"

namespace ionrail::config::detail {

// ENTRY is the index of the table in an array of tables ([[species]]); 0 elsewhere.
class binding {
 public:
  virtual ~binding() = default;
  // KEY of T (the table at PATH) into C: false if absent, config_error if of the wrong type.
  virtual bool read(const loader& l, const toml::table& t, const std::string& path, std::string_view key,
                    run_config& c, std::size_t entry) const = 0;
  virtual void write(toml::table& out, std::string_view key, const run_config& c, std::size_t entry) const = 0;
  // The value's numbers, for range checks and the docs (empty: not numeric).
  virtual std::vector<double> numbers(const run_config& c, std::size_t entry) const = 0;
  // The value as text: a number, true/false, the string or choice itself, "[1, 2]".
  virtual std::string text(const run_config& c, std::size_t entry) const = 0;
};

using binding_ptr = std::shared_ptr<const binding>;

// ---------------------------------------------------------------- field types

template <class T>
struct field_traits;

template <>
struct field_traits<double> {
  static constexpr value_type type = value_type::number;
  static void write(toml::table& out, std::string_view key, double v) { out.insert(key, v); }
  static std::vector<double> numbers(double v) { return {v}; }
  static std::string text(double v) { return format_number(v); }
};

template <>
struct field_traits<int> {
  static constexpr value_type type = value_type::integer;
  static void write(toml::table& out, std::string_view key, int v) { out.insert(key, v); }
  static std::vector<double> numbers(int v) { return {static_cast<double>(v)}; }
  static std::string text(int v) { return std::to_string(v); }
};

template <>
struct field_traits<std::uint64_t> {
  static constexpr value_type type = value_type::count;
  // TOML integers are signed: a larger value goes out as a string.
  static void write(toml::table& out, std::string_view key, std::uint64_t v) {
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      out.insert(key, static_cast<std::int64_t>(v));
    else
      out.insert(key, std::to_string(v));
  }
  static std::vector<double> numbers(std::uint64_t v) { return {static_cast<double>(v)}; }
  static std::string text(std::uint64_t v) { return std::to_string(v); }
};

template <>
struct field_traits<bool> {
  static constexpr value_type type = value_type::boolean;
  static void write(toml::table& out, std::string_view key, bool v) { out.insert(key, v); }
  static std::vector<double> numbers(bool) { return {}; }
  static std::string text(bool v) { return v ? "true" : "false"; }
};

template <>
struct field_traits<std::string> {
  static constexpr value_type type = value_type::string;
  static void write(toml::table& out, std::string_view key, const std::string& v) { out.insert(key, v); }
  static std::vector<double> numbers(const std::string&) { return {}; }
  static std::string text(const std::string& v) { return v; }
};

template <>
struct field_traits<std::vector<double>> {
  static constexpr value_type type = value_type::numbers;
  static void write(toml::table& out, std::string_view key, const std::vector<double>& v) {
    toml::array a;
    for (double x : v) a.push_back(x);
    out.insert(key, std::move(a));
  }
  static std::vector<double> numbers(const std::vector<double>& v) { return v; }
  static std::string text(const std::vector<double>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + format_number(v[i]);
    return out + "]";
  }
};

// ---------------------------------------------------------------- where the field is

// A plain section's keys live in run_config itself.
struct whole_config {
  template <class C>
  C& operator()(C& c, std::size_t) const {
    return c;
  }
};

// An array of tables' keys live in entry i of the vector LIST gives.
template <class List>
struct entry_of {
  List list;
  template <class C>
  auto& operator()(C& c, std::size_t i) const {
    return list(c)[i];
  }
};

// LOCATE gives the struct (run_config or an entry), FIELD the member in it:
// FIELD is a generic lambda, [](auto& s) -> auto& { return s.member; }, so
// that one declaration serves both reading (non-const) and writing (const).
template <class Locate, class Field>
class located_field {
 public:
  located_field(Locate locate, Field field) : locate_(std::move(locate)), field_(std::move(field)) {}
  auto& operator()(run_config& c, std::size_t i) const { return field_(locate_(c, i)); }
  const auto& operator()(const run_config& c, std::size_t i) const { return field_(locate_(c, i)); }
  using field_type = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<Field>()(
      std::declval<Locate>()(std::declval<run_config&>(), std::size_t{})))>>;

 private:
  Locate locate_;
  Field field_;
};

// ---------------------------------------------------------------- bindings

template <class At>
class value_binding : public binding {
 public:
  using T = typename At::field_type;
  explicit value_binding(At at) : at_(std::move(at)) {}
  bool read(const loader& l, const toml::table& t, const std::string& path, std::string_view key, run_config& c,
            std::size_t entry) const override {
    T v{};
    if (!l.get(t, path, key, v)) return false;
    at_(c, entry) = std::move(v);
    return true;
  }
  void write(toml::table& out, std::string_view key, const run_config& c, std::size_t entry) const override {
    field_traits<T>::write(out, key, at_(c, entry));
  }
  std::vector<double> numbers(const run_config& c, std::size_t entry) const override {
    return field_traits<T>::numbers(at_(c, entry));
  }
  std::string text(const run_config& c, std::size_t entry) const override { return field_traits<T>::text(at_(c, entry)); }

 private:
  At at_;
};

// A string from a fixed set, held as an enum (or the string itself).
template <class At>
class choice_binding : public binding {
 public:
  using T = typename At::field_type;
  choice_binding(At at, choices<T> options) : at_(std::move(at)), options_(std::move(options)) {}
  bool read(const loader& l, const toml::table& t, const std::string& path, std::string_view key, run_config& c,
            std::size_t entry) const override {
    T v = at_(c, entry);
    if (!l.get_choice(t, path, key, options_, v)) return false;
    at_(c, entry) = v;
    return true;
  }
  void write(toml::table& out, std::string_view key, const run_config& c, std::size_t entry) const override {
    out.insert(key, text(c, entry));
  }
  std::vector<double> numbers(const run_config&, std::size_t) const override { return {}; }
  std::string text(const run_config& c, std::size_t entry) const override {
    for (const auto& [name, value] : options_)
      if (value == at_(c, entry)) return std::string(name);
    return {};
  }
  std::vector<std::string_view> names() const {
    std::vector<std::string_view> out;
    for (const auto& o : options_) out.push_back(o.first);
    return out;
  }

 private:
  At at_;
  choices<T> options_;
};

enum class path_kind {
  directory,      // must exist: "no such directory (tried ...)"
  file,           // must exist: "no such file (tried ...)"
  optional_file,  // "" names none; else must exist: "cannot open 'A' nor 'B'"
  file_or_directory,  // must exist, either kind (a data file or a data directory)
};

// A file or directory named by a key, held resolved (relative to the file that named it).
template <class At>
class path_binding : public binding {
 public:
  path_binding(At at, path_kind kind) : at_(std::move(at)), kind_(kind) {}
  bool read(const loader& l, const toml::table& t, const std::string& path, std::string_view key, run_config& c,
            std::size_t entry) const override {
    std::string v;
    const bool found = kind_ == path_kind::optional_file ? l.get_file(t, path, key, v)
                                                         : l.get_path(t, path, key, kind_ == path_kind::directory, v,
                                                                     kind_ == path_kind::file_or_directory);
    if (!found) return false;
    at_(c, entry) = std::move(v);
    return true;
  }
  void write(toml::table& out, std::string_view key, const run_config& c, std::size_t entry) const override {
    out.insert(key, at_(c, entry));
  }
  std::vector<double> numbers(const run_config&, std::size_t) const override { return {}; }
  std::string text(const run_config& c, std::size_t entry) const override { return at_(c, entry); }

 private:
  At at_;
  path_kind kind_;
};

}  // namespace ionrail::config::detail
