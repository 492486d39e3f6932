// The merged document: material, run file and --set, key by key, each key
// remembering the file (and line) that gave it.
#include <cstddef>

#include "loader.hpp"
#include "message_text.hpp"
#include "files.hpp"
#include "schema_tables.hpp"
#include "suggest.hpp"

namespace ionrail::config::detail {

std::string where(const origin& o) { return o.line ? o.file + ":" + std::to_string(o.line) : o.file; }

origin loader::origin_of(std::string path) const {
  while (true) {
    if (auto it = origins_.find(path); it != origins_.end()) return it->second;
    if (path.empty()) return {run_path_, 0};
    const auto cut = path.find_last_of(".[");
    path = cut == std::string::npos ? std::string() : path.substr(0, cut);
  }
}

bool loader::given(std::string path) const {
  while (!path.empty() && path.back() == ']' && path.rfind('[') != std::string::npos) path.erase(path.rfind('['));
  return origins_.count(path) > 0;
}

void loader::fail(const std::string& path, const toml::node& n, const std::string& what) const {
  throw config_error(where(origin_of(path)) + ": " + path + " = " + show(n) + ": " + what);
}

void loader::fail_at(const std::string& path, const std::string& what) const {
  throw config_error(where(origin_of(path)) + ": " + what);
}

void loader::unknown(const std::string& path, const toml::node& n, std::string_view key, std::string_view section,
                     const key_list& allowed) const {
  const bool is_section = section.empty() && (n.is_table() || n.is_array_of_tables());
  fail_at(path, describe(path, n) + ": " + (is_section ? "unknown section" : "unknown key") +
                    suggestion(key, section, allowed));
}

void loader::record(const toml::node& n, const std::string& path, const std::string& file) {
  origins_[path] = {file, file == set_origin ? 0u : n.source().begin.line};
  if (const auto* t = n.as_table()) {
    for (auto&& [k, v] : *t) record(v, join(path, k.str()), file);
  } else if (const auto* a = n.as_array()) {
    for (std::size_t i = 0; i < a->size(); ++i) record((*a)[i], indexed(path, i), file);
  }
}

void loader::forget(const std::string& path) {
  for (auto it = origins_.lower_bound(path); it != origins_.end() && it->first.compare(0, path.size(), path) == 0;) {
    const std::string& k = it->first;
    if (k.size() == path.size() || k[path.size()] == '.' || k[path.size()] == '[')
      it = origins_.erase(it);
    else
      ++it;
  }
}

// The device landscape is one setting with two spellings: a file or --set
// giving either replaces what came before in both.
void loader::drop_landscape(toml::table& device) {
  for (std::string_view k : {"site_energy", "site_energy_csv"}) {
    device.erase(k);
    forget(join("device", k));
  }
}

void loader::put(toml::table& dst, const std::string& path, std::string_view key, const toml::node& value,
                 const std::string& file) {
  const std::string p = join(path, key);
  if (path == "device" && (key == "site_energy" || key == "site_energy_csv")) drop_landscape(dst);
  forget(p);
  record(value, p, file);
  dst.insert_or_assign(key, value);
}

void loader::merge(toml::table& dst, const toml::table& src, const std::string& path, const std::string& file) {
  if (path == "device" && (src.contains("site_energy") || src.contains("site_energy_csv"))) drop_landscape(dst);
  for (auto&& [k, v] : src) {
    const std::string p = join(path, k.str());
    auto* d = dst.get(k.str());
    if (d && d->is_table() && v.is_table()) {
      merge(*d->as_table(), *v.as_table(), p, file);
      continue;
    }
    forget(p);
    record(v, p, file);
    dst.insert_or_assign(k.str(), v);
  }
}

// An index one past the end of an array (species[2] of two) appends a fresh
// entry, so species[0].fill works even where no file has [[species]].
void loader::apply(const override_item& o) {
  const auto fail_set = [&](const std::string& what) -> config_error {
    return config_error("--set " + o.text + ": " + what);
  };
  const auto rest_of = [&](std::size_t s) {
    std::string rest;
    for (std::size_t r = s + 1; r < o.segments.size(); ++r) rest += "." + o.segments[r].name;
    return rest;
  };
  toml::table* t = &doc;
  std::string path;
  for (std::size_t s = 0; s < o.segments.size(); ++s) {
    const auto& seg = o.segments[s];
    const bool last = s + 1 == o.segments.size();
    if (last && !seg.index) {
      put(*t, path, seg.name, o.value(), set_origin);
      return;
    }
    const bool listed = is_array_of_tables(seg.name);
    path = join(path, seg.name);
    toml::node* n = t->get(seg.name);
    if (!n) {
      if (listed && !seg.index)
        throw fail_set(path + " is an array of tables; name an entry, e.g. " + path + "[0]" + rest_of(s));
      if (seg.index) {
        t->insert(seg.name, toml::array{});
      } else {
        t->insert(seg.name, toml::table{});
      }
      n = t->get(seg.name);
      record(*n, path, set_origin);
    }
    if (seg.index) {
      auto* a = n->as_array();
      if (!a) throw fail_set(path + " = " + show(*n) + " is not an array");
      const std::size_t i = *seg.index;
      if (i > a->size()) throw fail_set(path + " has " + std::to_string(a->size()) + " entries (indices from 0)");
      path = indexed(path, i);
      if (last) {
        if (i == a->size())
          a->push_back(o.value());
        else
          a->replace(a->cbegin() + static_cast<std::ptrdiff_t>(i), o.value());
        forget(path);
        record(o.value(), path, set_origin);
        return;
      }
      if (i == a->size()) {
        a->push_back(toml::table{});
        record((*a)[i], path, set_origin);
      }
      n = a->get(i);
    } else if (n->is_array()) {
      throw fail_set(path + " is an array of tables; name an entry, e.g. " + path + "[0]" + rest_of(s));
    }
    t = n->as_table();
    if (!t) throw fail_set(path + " = " + show(*n) + " is not a table");
  }
}

}  // namespace ionrail::config::detail
