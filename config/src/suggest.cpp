#include "suggest.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <utility>

#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

// Names a reader of params.hpp might guess, and where that setting lives.
const std::vector<std::pair<std::string_view, std::string_view>> aliases{
    {"field_per_class", "field.per_class"}, {"solver", "sim.method"},
    {"classes", "rail_class"},              {"site_energy_ev", "site_energy"},
    {"initial_profile", "device.initial_profile_csv"}, {"temperature", "device.temperature_k"}};

// Words a user might write for a choice, and the choice they mean.
const std::vector<std::pair<std::string_view, std::string_view>> choice_aliases{
    {"gpu", "cuda"}, {"exact", "bkl"}, {"gillespie", "bkl"}, {"kmc", "bkl"}, {"fixed", "sync"}};

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Optimal string alignment distance (edits and adjacent transpositions), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string join_list(const std::vector<std::string_view>& keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

}  // namespace

std::optional<std::string_view> closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  std::optional<std::string_view> best;
  std::size_t best_score = limit + 1;
  for (auto c : candidates) {
    std::size_t score = edit_distance(word, c);
    if (word.size() >= 2 && c.size() > word.size() && c.substr(0, word.size()) == word && c[word.size()] == '_')
      score = std::min<std::size_t>(score, 1);
    if (score < best_score) best = c, best_score = score;
  }
  return best;
}

std::string suggestion(std::string_view key, std::string_view section, const std::vector<std::string_view>& allowed) {
  for (const auto& [from, to] : aliases)
    if (key == from && to != key) return ", did you mean '" + std::string(to) + "'?";
  std::vector<std::string> ideas;
  if (auto own = closest(key, allowed)) ideas.emplace_back(*own);
  // The same key in another top-level section (a key in the wrong table).
  for (const auto& s : schema()) {
    if (s.spec.name.empty() || s.spec.nested || s.spec.name == section) continue;
    if (contains(s.key_names, key)) ideas.push_back(std::string(s.spec.name) + "." + std::string(key));
  }
  if (ideas.empty()) {
    return "; valid " + std::string(section.empty() ? "sections and keys" : "keys") + ": " + join_list(allowed);
  }
  std::string out = ", did you mean '" + ideas[0] + "'";
  for (std::size_t i = 1; i < ideas.size(); ++i) out += " or '" + ideas[i] + "'";
  return out + "?";
}

std::optional<std::string_view> choice_alias(std::string_view word, const std::vector<std::string_view>& names) {
  for (const auto& [from, to] : choice_aliases)
    if (word == from && contains(names, to)) return to;
  return std::nullopt;
}

}  // namespace ionrail::config::detail
