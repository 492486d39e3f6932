// Typed, located reads from the merged document.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>

#include "files.hpp"
#include "loader.hpp"
#include "message_text.hpp"
#include "suggest.hpp"

namespace ionrail::config::detail {
namespace {

namespace fs = std::filesystem;

bool contains(const key_list& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

std::string loader::join_key(const std::string& path, std::string_view key) { return join(path, key); }

// ---------------------------------------------------------------- tables

void loader::check_keys(const toml::table& t, const std::string& path, std::string_view section,
                        const key_list& allowed) const {
  for (auto&& [k, v] : t)
    if (!contains(allowed, k.str())) unknown(join(path, k.str()), v, k.str(), section, allowed);
}

const toml::table* loader::table_at(const toml::table& parent, const std::string& parent_path, std::string_view key,
                                    const key_list& allowed) const {
  const toml::node* n = parent.get(key);
  if (!n) return nullptr;
  const std::string path = join(parent_path, key);
  const auto* t = n->as_table();
  if (!t) fail(path, *n, "expected a table ([" + path + "])");
  check_keys(*t, path, key, allowed);
  return t;
}

std::optional<std::vector<const toml::table*>> loader::tables_at(const toml::table& parent,
                                                                 const std::string& parent_path, std::string_view key,
                                                                 const key_list& allowed) const {
  const toml::node* n = parent.get(key);
  if (!n) return std::nullopt;
  const std::string path = join(parent_path, key);
  const auto* a = n->as_array();
  if (!a) fail(path, *n, "expected an array of tables: write [[" + path + "]]");
  std::vector<const toml::table*> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto* t = (*a)[i].as_table();
    if (!t) fail(indexed(path, i), (*a)[i], "expected a table ([[" + path + "]] entry)");
    check_keys(*t, indexed(path, i), key, allowed);
    out.push_back(t);
  }
  return out;
}

// ---------------------------------------------------------------- typed getters

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, double& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  if (const auto* i = n->as_integer())
    out = static_cast<double>(i->get());
  else if (const auto* f = n->as_floating_point())
    out = f->get();
  else
    fail(join(path, key), *n, "expected a number");
  return true;
}

bool loader::get_integer(const toml::node& n, const std::string& path, std::int64_t& out, const char* expected) const {
  if (const auto* i = n.as_integer()) {
    out = i->get();
    return true;
  }
  if (const auto* f = n.as_floating_point()) {
    const double v = f->get();
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.2e18) {
      out = static_cast<std::int64_t>(v);
      return true;
    }
  }
  fail(path, n, expected);
}

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, int& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  std::int64_t v = 0;
  get_integer(*n, join(path, key), v, "expected an integer");
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    fail(join(path, key), *n, "expected an integer in [-2147483648, 2147483647]");
  out = static_cast<int>(v);
  return true;
}

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, std::uint64_t& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  // TOML integers stop at 2^63 - 1, so a larger one is a string of digits (as
  // field_traits<std::uint64_t> writes it, and as --set passes it on).
  if (const auto* str = n->as_string()) {
    const std::string& text = str->get();
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, out);
    if (!text.empty() && r.ptr == end && r.ec == std::errc::result_out_of_range)
      fail(join(path, key), *n, "must be in [0, 18446744073709551615]");
    if (text.empty() || r.ptr != end || r.ec != std::errc{}) fail(join(path, key), *n, "expected an integer >= 0");
    return true;
  }
  std::int64_t v = 0;
  get_integer(*n, join(path, key), v, "expected an integer >= 0");
  if (v < 0) fail(join(path, key), *n, "expected an integer >= 0");
  out = static_cast<std::uint64_t>(v);
  return true;
}

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, bool& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  const auto* b = n->as_boolean();
  if (!b) fail(join(path, key), *n, "expected a boolean (true or false)");
  out = b->get();
  return true;
}

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, std::string& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  const auto* s = n->as_string();
  if (!s) fail(join(path, key), *n, "expected a string");
  // Every string goes on into a file someone else reads (a label into
  // plots.gp and report.md, a path into a command line): a newline there
  // ended gnuplot's string and the plots with it. Control characters have no
  // use in a label, a name or a path, so none is taken but the tab (which
  // gnuplot_quoted shows as a space).
  for (const char ch : s->get())
    if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f)
      fail(join(path, key), *n,
           "expected a string without control characters (found byte " + std::to_string(static_cast<unsigned char>(ch)) +
               ")");
  out = s->get();
  return true;
}

bool loader::get(const toml::table& t, const std::string& path, std::string_view key, std::vector<double>& out) const {
  const toml::node* n = t.get(key);
  if (!n) return false;
  const std::string p = join(path, key);
  const auto* a = n->as_array();
  if (!a) fail(p, *n, "expected an array of numbers");
  out.clear();
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto& e = (*a)[i];
    if (const auto* iv = e.as_integer())
      out.push_back(static_cast<double>(iv->get()));
    else if (const auto* f = e.as_floating_point())
      out.push_back(f->get());
    else
      fail(indexed(p, i), e, "expected a number");
  }
  return true;
}

std::string loader::choice_error(const std::string& word, const key_list& names) {
  std::string what = "expected one of ";
  for (std::size_t i = 0; i < names.size(); ++i) what += (i ? ", " : "") + quote(names[i]);
  std::optional<std::string_view> idea = closest(word, names);
  if (auto alias = choice_alias(word, names)) idea = alias;
  if (idea) what += ", did you mean " + quote(*idea) + "?";
  return what;
}

// ---------------------------------------------------------------- files named by keys

bool loader::get_path(const toml::table& t, const std::string& path, std::string_view key, bool directory,
                      std::string& out, bool either) const {
  std::string ref;
  if (!get(t, path, key, ref)) return false;
  const std::string p = join(path, key);
  const fs::path named_by(origin_of(p).file);
  const std::vector<fs::path> candidates = path_candidates(ref, named_by.string());
  std::error_code ec;
  std::vector<std::string> tried;
  bool exists = false;  // some candidate, of the wrong type
  for (const auto& cand : candidates) {
    if (either ? (fs::is_directory(cand, ec) || fs::is_regular_file(cand, ec))
               : directory ? fs::is_directory(cand, ec) : fs::is_regular_file(cand, ec)) {
      out = cand.string();
      return true;
    }
    tried.push_back(cand.string());
    exists = exists || fs::exists(cand, ec);
  }
  // A name that exists with the wrong type (a FIFO or a directory named as a
  // file, a file named as a directory) says what it is, not "no such file".
  if (exists && !directory) fail(p, *t.get(key), tried_text(tried));
  if (exists) fail(p, *t.get(key), "not a directory (tried '" + candidates.front().string() + "')");
  fail(p, *t.get(key), std::string("no such ") + (directory ? "directory" : "file") + " (tried '" +
                           candidates.front().string() + "')");
}

bool loader::get_file(const toml::table& t, const std::string& path, std::string_view key, std::string& out) const {
  std::string ref;
  if (!get(t, path, key, ref)) return false;
  if (ref.empty()) return true;  // "" names no file
  const std::string p = join(path, key);
  std::vector<std::string> tried;
  out = resolve(ref, origin_of(p).file, tried);
  if (out.empty()) fail(p, *t.get(key), tried_text(tried));
  return true;
}

std::vector<double> loader::values_csv(const toml::table& t, const std::string& parent, std::string_view key) const {
  std::string ref;
  if (!get(t, parent, key, ref) || ref.empty()) return {};
  const std::string path = join(parent, key);
  const toml::node& n = *t.get(key);
  std::vector<std::string> tried;
  const std::string file = resolve(ref, origin_of(path).file, tried);
  if (file.empty()) fail(path, n, tried_text(tried));
  std::string text, why;
  if (!read_text(file, text, why)) fail(path, n, "cannot open '" + file + "' (" + why + ")");
  std::vector<double> values;
  std::string error;
  if (!parse_number_list(file, text, values, error)) fail(path, n, error);
  return values;
}

std::vector<double> loader::ranges(const toml::table& parent, const std::string& parent_path, int sites,
                                   const key_list& range_keys) const {
  const std::string path = join(parent_path, "site_energy");
  const auto entries = tables_at(parent, parent_path, "site_energy", range_keys);
  if (!entries) return {};
  struct entry {
    int first = 0, last = 0;
    double energy = 0;
  };
  std::vector<entry> list;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table& e = *(*entries)[i];
    const std::string p = indexed(path, i);
    entry x;
    for (std::string_view k : range_keys)
      if (!e.contains(k))
        fail_at(p, p + "." + std::string(k) + " is missing: every entry needs first_site, last_site, energy_ev");
    get(e, p, "first_site", x.first);
    get(e, p, "last_site", x.last);
    get(e, p, "energy_ev", x.energy);
    if (!std::isfinite(x.energy)) fail(p + ".energy_ev", *e.get("energy_ev"), "must be finite");
    list.push_back(x);
  }
  if (sites < 2 || sites > 65533) return {};
  std::vector<double> landscape(static_cast<std::size_t>(sites), 0.0);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = indexed(path, i);
    const toml::table& e = *(*entries)[i];
    const auto& x = list[i];
    if (x.first < 0 || x.first >= sites)
      fail(p + ".first_site", *e.get("first_site"), "must be in [0, sites - 1] = [0, " + std::to_string(sites - 1) + "]");
    if (x.last < x.first || x.last >= sites)
      fail(p + ".last_site", *e.get("last_site"),
           "must be in [first_site, sites - 1] = [" + std::to_string(x.first) + ", " + std::to_string(sites - 1) + "]");
    for (int s = x.first; s <= x.last; ++s) landscape[static_cast<std::size_t>(s)] += x.energy;
  }
  return landscape;
}

// ---------------------------------------------------------------- kmc::validate messages

// validate() names struct fields; a few live under other TOML keys.
std::string loader::toml_key(const std::string& key) const {
  const auto starts = [&key](std::string_view prefix) {
    return key.compare(0, prefix.size(), prefix) == 0 &&
           (key.size() == prefix.size() || key[prefix.size()] == ' ' || key[prefix.size()] == '[' ||
            key[prefix.size()] == '.');
  };
  const auto swap = [&key](std::string_view prefix, const std::string& to) { return to + key.substr(prefix.size()); };
  if (starts("device.ion_density_m3")) return swap("device.ion_density_m3", "field.ion_density_m3");
  if (starts("device.rel_permittivity")) return swap("device.rel_permittivity", "field.rel_permittivity");
  if (starts("sim.field_every")) return swap("sim.field_every", "field.field_every");
  if (starts("device.initial_profile")) return swap("device.initial_profile", "device.initial_profile_csv");
  if (starts("device.site_energy_ev")) {
    const auto* d = doc.get_as<toml::table>("device");
    const bool csv = d && d->contains("site_energy_csv");
    return swap("device.site_energy_ev", csv ? "device.site_energy_csv" : "device.site_energy");
  }
  if (key.compare(0, 11, "rail_class[") == 0) {
    if (auto at = key.find("].site_energy_ev"); at != std::string::npos)
      return key.substr(0, at) + "].site_energy" + key.substr(at + 16);
  }
  return key;
}

config_error loader::located(const std::string& message) const {
  const auto eq = message.find(" = ");
  const std::string key = message.substr(0, eq);
  const std::string renamed = toml_key(key);
  const std::string path = renamed.substr(0, renamed.find(' '));
  std::string rest = message.substr(key.size());
  // A value nobody set: say so, it is the struct's default.
  if (path == renamed && !given(path) && rest.compare(0, 3, " = ") == 0)
    if (const auto colon = rest.find(": "); colon != std::string::npos) rest.insert(colon, " (default)");
  return config_error(where(origin_of(path)) + ": " + renamed + rest);
}

}  // namespace ionrail::config::detail
