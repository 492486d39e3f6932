#include <ionrail/runs/plot_text.hpp>

#include <fmt/format.h>

#include <array>
#include <utility>
#include <vector>

#include <ionrail/config/schema.hpp>

namespace ionrail::runs {
namespace {

struct split_key {
  std::string section, name;
};

// "species[0].fill" → {"species", "fill"}; "device.site_energy.ev" keeps the nested section.
split_key split(std::string_view dotted_key) {
  std::string key;
  for (std::size_t i = 0; i < dotted_key.size(); ++i) {
    if (dotted_key[i] == '[') {
      const auto close = dotted_key.find(']', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    key += dotted_key[i];
  }
  const auto dot = key.rfind('.');
  if (dot == std::string::npos) return {"", key};
  return {key.substr(0, dot), key.substr(dot + 1)};
}

const config::key_spec* find_key(std::string_view dotted_key) {
  const split_key k = split(dotted_key);
  for (const auto& spec : config::schema_keys())
    if (spec.section == k.section && spec.name == k.name) return &spec;
  return nullptr;
}

// Name parts that only spell the unit: "voltage_v", "rate_v_per_s", "pulse_s".
bool unit_token(std::string_view t) {
  static constexpr std::array<std::string_view, 16> tokens{"v", "s", "k", "nm", "um2", "m2", "m3", "hz", "ev",
                                                          "per", "a", "j", "m", "f", "ohm", "w"};
  for (auto u : tokens)
    if (t == u) return true;
  return false;
}

}  // namespace

std::string key_words(std::string_view dotted_key) {
  const std::string name = split(dotted_key).name;
  // Where the bare name reads badly in a legend.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> spoken{
      {{"pulse_s", "pulse length"}, {"rate_v_per_s", "sweep rate"}, {"v_max_v", "amplitude"}, {"width_s", "pulse width"}}};
  if (find_key(dotted_key) != nullptr)
    for (const auto& [key, words] : spoken)
      if (name == key) return std::string(words);
  std::vector<std::string> words;
  std::string word;
  for (char c : name + "_") {
    if (c == '_') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  // Trailing unit spellings go (the unit is printed from the schema); a
  // name that is nothing but them ("v") keeps its first word.
  std::size_t keep = words.size();
  if (find_key(dotted_key) != nullptr)
    while (keep > 1 && unit_token(words[keep - 1])) --keep;
  std::string out;
  for (std::size_t i = 0; i < keep; ++i) out += (i ? " " : "") + words[i];
  return out.empty() ? std::string(dotted_key) : out;
}

std::string key_unit(std::string_view dotted_key) {
  const config::key_spec* spec = find_key(dotted_key);
  return spec ? std::string(spec->unit) : std::string();
}

std::string key_value_text(std::string_view dotted_key, double value) {
  const std::string unit = key_unit(dotted_key);
  return fmt::format("{} {}{}{}", key_words(dotted_key), value, unit.empty() ? "" : " ", unit);
}

std::string key_axis_label(std::string_view dotted_key) {
  const std::string unit = key_unit(dotted_key);
  return unit.empty() ? key_words(dotted_key) : fmt::format("{} ({})", key_words(dotted_key), unit);
}

std::string gnuplot_quoted(std::string_view text) {
  std::string out;
  // A control character (a newline ends a gnuplot line, and the script with
  // it) is shown as a space: the config refuses them, but a text may come
  // from elsewhere (a file's stem).
  for (char c : text)
    out += c == '\'' ? std::string("''")
                     : std::string(1, static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  return out;
}

}  // namespace ionrail::runs
