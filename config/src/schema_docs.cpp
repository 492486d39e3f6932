// What is generated from the schema: the key tables of docs/config.md and the
// fuzz dictionary (the config_doc program writes and checks both).
#include <cstddef>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ionrail/config/schema.hpp>

#include "message_text.hpp"
#include "schema_tables.hpp"

namespace ionrail::config {
namespace {

using detail::section_def;

// A table cell: '|' would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string unit_cell(const key_spec& k) {
  if (!k.unit.empty()) return std::string(k.unit);
  switch (k.type) {
    case value_type::boolean: return "bool";
    case value_type::string: return "string";
    case value_type::file:
    case value_type::directory: return "path";
    case value_type::numbers: return "array";
    case value_type::tables: return "";
    default: return "–";
  }
}

std::string key_cell(const key_spec& k) {
  if (k.type == value_type::tables) return "`[[" + std::string(k.section) + "." + std::string(k.name) + "]]`";
  return "`" + std::string(k.name) + "`";
}

std::string row(const key_spec& k, bool with_kind) {
  std::string out = "|";
  if (with_kind) out += " " + std::string(k.kind) + " |";
  for (const std::string& c : {key_cell(k), unit_cell(k), k.default_text, range_text(k, true), std::string(k.doc)})
    out += " " + cell(c) + " |";
  return out + "\n";
}

// The keys of S with (KINDS) or without a kind, as a Markdown table.
std::string key_table(const section_def& s, bool kinds) {
  std::string out = kinds ? "| kind | key | unit | default | valid range | meaning |\n"
                            "| --- | --- | --- | --- | --- | --- |\n"
                          : "| key | unit | default | valid range | meaning |\n"
                            "| --- | --- | --- | --- | --- |\n";
  std::size_t rows = 0;
  for (const auto& k : s.keys)
    if (k.spec.kind.empty() != kinds) {
      out += row(k.spec, kinds);
      ++rows;
    }
  if (rows == 0)
    throw std::invalid_argument("config.md template: [" + std::string(s.spec.name) + "] has no " +
                                (kinds ? "kind-specific " : "") + "keys to list");
  return out;
}

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

}  // namespace

std::string config_markdown(std::string_view template_text) {
  std::istringstream in{std::string(template_text)};
  std::string line, out;
  std::set<std::string> listed;  // "section" and "section kinds"
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (t.size() < 4 || t.compare(0, 2, "{{") != 0 || t.compare(t.size() - 2, 2, "}}") != 0) {
      out += line + "\n";
      continue;
    }
    std::istringstream words(t.substr(2, t.size() - 4));
    std::string what, name;
    words >> what >> name;
    const auto bad = [&](const std::string& why) {
      return std::invalid_argument("config.md template line " + std::to_string(number) + ": " + t + ": " + why);
    };
    if (what == "top_level_keys" && name.empty()) {
      out += key_table(detail::section_named(""), false);
      listed.insert("");
      continue;
    }
    if ((what != "keys" && what != "kind_keys") || name.empty())
      throw bad("expected {{keys SECTION}}, {{kind_keys SECTION}} or {{top_level_keys}}");
    const section_def* s = nullptr;
    for (const auto& d : detail::schema())
      if (d.spec.name == name && !name.empty()) s = &d;
    if (!s) throw bad("no such section in the schema");
    out += key_table(*s, what == "kind_keys");
    listed.insert(what == "kind_keys" ? name + " kinds" : name);
  }
  // Every declared key must be documented: a new section needs its place in the template.
  for (const auto& s : detail::schema()) {
    bool plain = false, kinds = false;
    for (const auto& k : s.keys) (k.spec.kind.empty() ? plain : kinds) = true;
    const std::string name(s.spec.name);
    if (plain && !listed.count(name)) {
      const std::string wanted = name.empty() ? "{{top_level_keys}}" : "{{keys " + name + "}}";
      throw std::invalid_argument("config.md template: no " + wanted + " line for the keys of [" + name + "]");
    }
    if (kinds && !listed.count(name + " kinds"))
      throw std::invalid_argument("config.md template: no {{kind_keys " + name + "}} line for [" + name + "]");
  }
  return out;
}

std::string fuzz_dictionary() {
  std::vector<std::string> words;
  std::set<std::string> seen;
  const auto add = [&](const std::string& w) {
    if (seen.insert(w).second) words.push_back(w);
  };
  for (const auto& s : detail::schema()) {
    if (s.spec.name.empty() || s.spec.nested || s.spec.foreign) continue;
    add(s.spec.array_of_tables ? "[[" + std::string(s.spec.name) + "]]" : "[" + std::string(s.spec.name) + "]");
  }
  for (const auto& k : schema_keys())
    if (k.type == value_type::tables) add("[[" + std::string(k.section) + "." + std::string(k.name) + "]]");
  for (const auto& k : schema_keys()) add(std::string(k.name));
  for (const auto& k : schema_keys())
    for (auto c : k.choices) add(detail::quote(c));
  // Values at the edges of what the parser and the ranges take.
  for (const char* edge : {"nan", "inf", "-inf", "1e308", "1e-308", "2147483647", "-2147483648", "9223372036854775807"})
    add(edge);
  std::string out =
      "# libFuzzer dictionary for fuzz_config, generated from the configuration schema\n"
      "# (config/src/*_keys.cpp) by config_doc: do not edit; cmake --build BUILD --target config_docs.\n";
  for (const auto& w : words) out += detail::quote(w) + "\n";
  return out;
}

}  // namespace ionrail::config
