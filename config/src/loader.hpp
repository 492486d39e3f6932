#pragma once
// The merged configuration document (material, run file, --set) with where
// each key came from, and the typed, located reads the schema's bindings
// and the hand-written readers use. Every error names the file (and line)
// that gave the offending value.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ionrail/config/run_config.hpp>

#include "overrides.hpp"
#include "tomlpp.hpp"

namespace ionrail::config::detail {

using key_list = std::vector<std::string_view>;

template <class T>
using choices = std::vector<std::pair<std::string_view, T>>;

struct origin {
  std::string file;
  std::uint32_t line = 0;  // 0: unknown
};

std::string where(const origin& o);

class loader {
 public:
  explicit loader(std::string run_path) : run_path_(std::move(run_path)) {}

  toml::table doc;  // run file merged over material, then overrides

  // ---- where keys came from (loader_merge.cpp)

  origin origin_of(std::string path) const;
  // Whether a file or --set gave PATH (an entry of a CSV counts as given).
  bool given(std::string path) const;

  // Tables merge key by key; anything else (values, arrays, arrays of tables) is replaced.
  void merge(toml::table& dst, const toml::table& src, const std::string& path, const std::string& file);
  // One --set: the value replaces what the files gave at that key.
  void apply(const override_item& o);

  // ---- errors

  [[noreturn]] void fail(const std::string& path, const toml::node& n, const std::string& what) const;
  [[noreturn]] void fail_at(const std::string& path, const std::string& what) const;
  // An unknown key of SECTION ("" for the top level), whose valid keys are ALLOWED.
  [[noreturn]] void unknown(const std::string& path, const toml::node& n, std::string_view key, std::string_view section,
                            const key_list& allowed) const;

  // ---- tables (loader_read.cpp)

  void check_keys(const toml::table& t, const std::string& path, std::string_view section, const key_list& allowed) const;
  // The table at PARENT.KEY with only ALLOWED keys; nullptr if absent.
  const toml::table* table_at(const toml::table& parent, const std::string& parent_path, std::string_view key,
                              const key_list& allowed) const;
  // An array of tables; nullopt if absent.
  std::optional<std::vector<const toml::table*>> tables_at(const toml::table& parent, const std::string& parent_path,
                                                           std::string_view key, const key_list& allowed) const;

  // ---- typed getters: false if absent, config_error if of the wrong type

  bool get(const toml::table& t, const std::string& path, std::string_view key, double& out) const;
  bool get(const toml::table& t, const std::string& path, std::string_view key, int& out) const;
  bool get(const toml::table& t, const std::string& path, std::string_view key, std::uint64_t& out) const;
  bool get(const toml::table& t, const std::string& path, std::string_view key, bool& out) const;
  bool get(const toml::table& t, const std::string& path, std::string_view key, std::string& out) const;
  bool get(const toml::table& t, const std::string& path, std::string_view key, std::vector<double>& out) const;

  template <class T>
  bool get_choice(const toml::table& t, const std::string& path, std::string_view key, const choices<T>& options,
                  T& out) const {
    std::string word;
    if (!get(t, path, key, word)) return false;
    key_list names;
    for (const auto& [name, value] : options) {
      if (name == word) {
        out = value;
        return true;
      }
      names.push_back(name);
    }
    fail(join_key(path, key), *t.get(key), choice_error(word, names));
  }

  // ---- files named by keys

  // A path key: the file (or directory) it names, relative to the file that
  // named it, else to the current directory. Error: "no such file (tried ...)".
  bool get_path(const toml::table& t, const std::string& path, std::string_view key, bool directory,
                std::string& out, bool either = false) const;
  // A file key where "" means none: error "cannot open 'A' nor 'B'".
  bool get_file(const toml::table& t, const std::string& path, std::string_view key, std::string& out) const;
  // The numbers of a CSV file named by KEY (empty if absent or "").
  std::vector<double> values_csv(const toml::table& t, const std::string& parent, std::string_view key) const;
  // [[...site_energy]] entries {first_site, last_site, energy_ev} added onto a
  // zero landscape of `sites` sites; empty if `sites` is out of range (validate reports it).
  std::vector<double> ranges(const toml::table& parent, const std::string& parent_path, int sites,
                             const key_list& range_keys) const;

  // ---- kmc::validate messages, located: VALIDATE's std::invalid_argument
  // becomes a config_error at the TOML key it names.
  template <class F>
  void checked(F&& validate) const {
    try {
      validate();
    } catch (const std::invalid_argument& e) {
      throw located(e.what());
    }
  }

 private:
  void record(const toml::node& n, const std::string& path, const std::string& file);
  void forget(const std::string& path);
  void drop_landscape(toml::table& device);
  void put(toml::table& dst, const std::string& path, std::string_view key, const toml::node& value,
           const std::string& file);
  bool get_integer(const toml::node& n, const std::string& path, std::int64_t& out, const char* expected) const;
  static std::string join_key(const std::string& path, std::string_view key);
  static std::string choice_error(const std::string& word, const key_list& names);
  std::string toml_key(const std::string& key) const;
  config_error located(const std::string& message) const;

  std::string run_path_;
  std::map<std::string, origin> origins_;
};

}  // namespace ionrail::config::detail
