// resolved_parameters_json: every declared key's resolved value, laid out
// like the run file's sections. It is also the fingerprint checkpoints are
// compared by, so a key declared in the schema is in it without more code.
#include <cstddef>
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

}  // namespace ionrail::config
