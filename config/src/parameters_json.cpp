// resolved_parameters_json: every declared key's resolved value, laid out
// like the run file's sections. It is also the fingerprint checkpoints are
// compared by, so a key declared in the schema is in it without more code.
#include <cstddef>
#include <cstdint>
#include <vector>
#include <sstream>
#include <string>

#include <ionrail/config/run_config.hpp>

#include "schema_tables.hpp"

namespace ionrail::config {
namespace {

using namespace detail;

void write_keys(const section_def& s, toml::table& out, const run_config& c, std::size_t entry) {
  // Of the kind-specific keys, only the chosen kind's.
  const std::string chosen = s.selector.empty() ? std::string() : s.find(s.selector)->bind->text(c, entry);
  for (const auto& k : s.keys)
    if (k.bind && (k.spec.kind.empty() || k.spec.kind == chosen)) k.bind->write(out, k.spec.name, c, entry);
  if (s.write_more) s.write_more(out, c, entry);
}

}  // namespace

std::string resolved_parameters_json(const run_config& c) {
  toml::table root;
  for (const auto& s : schema()) {
    if (s.spec.nested || s.spec.foreign || (s.in_json && !s.in_json(c))) continue;
    if (s.spec.name.empty()) {
      write_keys(s, root, c, 0);
    } else if (s.entries) {
      toml::array entries;
      for (std::size_t i = 0; i < s.entries->size(c); ++i) {
        toml::table t;
        write_keys(s, t, c, i);
        entries.push_back(std::move(t));
      }
      root.insert(s.spec.name, std::move(entries));
    } else {
      toml::table t;
      write_keys(s, t, c, 0);
      root.insert(s.spec.name, std::move(t));
    }
  }
  std::ostringstream os;
  os << toml::json_formatter{root};
  return os.str();
}

namespace {

// A landscape as [[...site_energy]] ranges, one per run of equal energy.
toml::array landscape_ranges(const std::vector<double>& energies) {
  toml::array out;
  for (std::size_t i = 0; i < energies.size();) {
    std::size_t j = i;
    while (j + 1 < energies.size() && energies[j + 1] == energies[i]) ++j;
    if (energies[i] != 0.0) {
      toml::table r;
      r.insert("first_site", static_cast<std::int64_t>(i));
      r.insert("last_site", static_cast<std::int64_t>(j));
      r.insert("energy_ev", energies[i]);
      out.push_back(std::move(r));
    }
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string material_toml(const run_config& c, const std::string& initial_profile_file) {
  toml::table root;
  for (const auto& s : schema()) {
    if (!s.spec.in_material || s.spec.nested) continue;
    const std::size_t n = s.entries ? s.entries->size(c) : 1;
    toml::array entries;
    for (std::size_t i = 0; i < n; ++i) {
      toml::table t;
      for (const auto& k : s.keys) {
        if (!k.bind) continue;
        // A species gives its ions one way (per site or per rail), as it was read.
        if (s.spec.name == "species" && k.spec.name == "ions" && c.device.species[i].ions == 0) continue;
        if (s.spec.name == "species" && k.spec.name == "fill" && c.device.species[i].ions > 0) continue;
        k.bind->write(t, k.spec.name, c, i);
      }
      if (s.spec.name == "device") {
        auto ranges = landscape_ranges(c.device.site_energy_ev);
        if (!ranges.empty()) t.insert("site_energy", std::move(ranges));
        if (!c.device.initial_profile.empty()) t.insert("initial_profile_csv", initial_profile_file);
      }
      if (s.spec.name == "rail_class") {
        auto ranges = landscape_ranges(c.device.classes[i].site_energy_ev);
        if (!ranges.empty()) t.insert("site_energy", std::move(ranges));
      }
      if (s.entries)
        entries.push_back(std::move(t));
      else
        root.insert(s.spec.name, std::move(t));
    }
    if (s.entries) root.insert(s.spec.name, std::move(entries));
  }
  std::ostringstream os;
  os << toml::toml_formatter{root};
  return os.str() + "\n";
}

}  // namespace ionrail::config
