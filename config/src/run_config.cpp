// TOML run configuration: parse the run file and its material, merge them
// key by key, apply --set overrides, check every key and type against the
// schema below, fill the kmc parameter structs and validate them. Every key
// of the merged document remembers which file (and line) supplied it, so an
// error always names where the offending value came from.
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/input_file.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>
#endif

#if !TOML_EXCEPTIONS
#error "config/src/run_config.cpp needs toml++ built with exceptions"
#endif

namespace ionrail::config {
namespace {

namespace fs = std::filesystem;
using key_list = std::vector<std::string_view>;

// The origin of values given on the command line.
const std::string set_origin = "--set";

// ---------------------------------------------------------------- schema

const key_list top_keys{"material", "device",   "species", "rail_class", "field",
                        "sim",      "readout",  "protocol", "output",    "series", "calibration", "crossbar", "snn",
                        "sweep"};  // [sweep] is read by `ionrail sweep` (sweep.cpp); a run ignores it
const key_list material_sections{"device", "species", "rail_class", "field", "readout"};
const key_list device_keys{"thickness_nm", "sites",           "rails",           "temperature_k",       "zones",
                           "area_um2",     "rails_per_area_m2", "site_energy_csv", "initial_profile_csv", "site_energy"};
const key_list species_keys{"name", "charge", "activation_energy_ev", "attempt_frequency_hz", "fill"};
const key_list rail_class_keys{"name", "fraction", "activation_shift_ev", "attempt_frequency_scale", "site_energy"};
const key_list range_keys{"first_site", "last_site", "energy_ev"};
const key_list field_keys{"ion_density_m3", "rel_permittivity", "per_class", "field_every"};
const key_list sim_keys{"method", "dt_s", "p_max", "dt_max_s", "seed", "threads", "backend"};
const key_list readout_keys{"source", "g0_s", "g1_s", "g_min_s", "g_max_s"};
const key_list relax_keys{"voltage_v", "pulse_s", "relax_s"};
const key_list sweep_keys{"v_max_v", "rate_v_per_s", "cycles"};
const key_list pulses_keys{"n_pot", "n_dep", "v_pot_v", "v_dep_v", "width_s", "gap_s", "read_v"};
const key_list waveform_keys{"waveform_csv"};
const key_list protocol_keys{"kind",    "sample_every_s", "profile_times_s", "temperatures_k", "voltage_v",
                             "pulse_s", "relax_s",        "v_max_v",         "rate_v_per_s",   "cycles",
                             "n_pot",   "n_dep",          "v_pot_v",         "v_dep_v",        "width_s",
                             "gap_s",   "read_v",         "waveform_csv"};
const key_list output_keys{"title", "plots"};
const key_list series_keys{"key", "values"};
const key_list snn_keys{"table",        "data",       "neurons",     "epochs",           "present_steps", "rest_steps",
                        "max_rate",     "v_read_v",   "leak",        "threshold",        "theta_plus",    "theta_decay",
                        "refractory_steps", "pre_v",  "pre_steps",   "post_v1",          "post_v2",       "initial_state",
                        "init_spread",  "train_limit", "label_limit", "test_count",      "noise",         "window_steps",
                        "input_spikes", "anneal"};
const key_list crossbar_keys{"table",          "data",           "epochs",       "v_write_v",     "v_write_final_v",
                             "softmax_beta",   "error_threshold", "active_pixel", "rest_steps",    "retention_s",
                             "test_count",     "train_limit",    "dac_bits",     "adc_bits",      "v_read_v",
                             "adc_full_scale_a", "wire_ohm",     "gain_sigma",   "offset_sigma_s", "noise",
                             "initial_state",  "pulse_train_length"};
const key_list calibration_keys{"device_rails", "devices",  "runs",     "duration_s", "dt_m_s",
                                "v_max_v",      "state_bits", "v_step_v", "noise_lag_s", "state_variables"};

struct section_keys {
  std::string_view name;
  const key_list* keys;
};
const std::vector<section_keys> sections{{"device", &device_keys}, {"species", &species_keys},
                                         {"rail_class", &rail_class_keys}, {"field", &field_keys},
                                         {"sim", &sim_keys},           {"readout", &readout_keys},
                                         {"protocol", &protocol_keys}, {"output", &output_keys},
                                         {"series", &series_keys}, {"calibration", &calibration_keys},
                                         {"crossbar", &crossbar_keys}, {"snn", &snn_keys}};

// Names a reader of params.hpp might guess, and where that setting lives.
const std::vector<std::pair<std::string_view, std::string_view>> aliases{
    {"field_per_class", "field.per_class"}, {"solver", "sim.method"},
    {"classes", "rail_class"},              {"site_energy_ev", "site_energy"},
    {"initial_profile", "device.initial_profile_csv"}, {"temperature", "device.temperature_k"}};

// Words a user might write for a choice, and the choice they mean.
const std::vector<std::pair<std::string_view, std::string_view>> choice_aliases{
    {"gpu", "cuda"}, {"exact", "bkl"}, {"gillespie", "bkl"}, {"kmc", "bkl"}, {"fixed", "sync"}};

bool contains(const key_list& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string join_list(const key_list& keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// ---------------------------------------------------------------- suggestions

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

// The closest candidate, if close enough: a few edits (about a third of the
// word), or the word with its unit suffix left off ("thickness" → "thickness_nm").
std::optional<std::string_view> closest(std::string_view word, const key_list& candidates) {
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

// ", did you mean 'X'?" or "; valid keys: ..." for an unknown KEY in SECTION
// ("" for the top level) whose valid keys are ALLOWED.
std::string suggestion(std::string_view key, std::string_view section, const key_list& allowed) {
  for (const auto& [from, to] : aliases)
    if (key == from && to != key) return ", did you mean '" + std::string(to) + "'?";
  std::vector<std::string> ideas;
  if (auto own = closest(key, allowed)) ideas.emplace_back(*own);
  for (const auto& s : sections)
    if (s.name != section && contains(*s.keys, key)) ideas.push_back(std::string(s.name) + "." + std::string(key));
  if (ideas.empty()) {
    return "; valid " + std::string(section.empty() ? "sections and keys" : "keys") + ": " + join_list(allowed);
  }
  std::string out = ", did you mean '" + ideas[0] + "'";
  for (std::size_t i = 1; i < ideas.size(); ++i) out += " or '" + ideas[i] + "'";
  return out + "?";
}

// ---------------------------------------------------------------- showing values

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Whole numbers in full (900, not 9e+02), others as format_number.
std::string format_plain(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    char whole[24];
    std::snprintf(whole, sizeof whole, "%lld", static_cast<long long>(v));
    return whole;
  }
  return format_number(v);
}

// Three significant digits, for derived numbers in messages.
std::string format_short(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string show_full(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return quote(n.as_string()->get());
    case toml::node_type::integer: return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return format_number(n.as_floating_point()->get());
    case toml::node_type::boolean: return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array: {
      std::string out = "[";
      const auto& a = *n.as_array();
      for (std::size_t i = 0; i < a.size() && out.size() < 80; ++i) out += (i ? ", " : "") + show_full(a[i]);
      return out + "]";
    }
    case toml::node_type::table: {
      std::string out = "{";
      bool first = true;
      for (auto&& [k, v] : *n.as_table()) {
        if (out.size() >= 80) break;
        out += (first ? "" : ", ") + std::string(k.str()) + " = " + show_full(v);
        first = false;
      }
      return out + "}";
    }
    default: {
      std::ostringstream os;
      n.visit([&os](auto&& v) { os << v; });
      return os.str();
    }
  }
}

// A value as it appears in messages: TOML-like, one line, at most 60 characters.
std::string show(const toml::node& n) {
  std::string s = show_full(n);
  if (s.size() > 60) s = s.substr(0, 56) + " ...";
  return s;
}

// A key with its value, or just the key for a table.
std::string describe(const std::string& path, const toml::node& n) {
  return n.is_table() || n.is_array_of_tables() ? path : path + " = " + show(n);
}

// ---------------------------------------------------------------- files

struct origin {
  std::string file;
  std::uint32_t line = 0;  // 0: unknown
};

std::string where(const origin& o) { return o.line ? o.file + ":" + std::to_string(o.line) : o.file; }

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

constexpr std::uintmax_t max_input_bytes = std::uintmax_t{64} << 20;

// Reads a whole file; on failure returns false and says why.
bool read_text(const std::string& file, std::string& text, std::string& why) {
  // A regular file of at most 64 MiB, by the rules of every input file
  // (model_io/input_file.hpp): a device or a pipe (/dev/zero, a FIFO) is
  // refused at once instead of read forever.
  return model_io::try_read_input_file(file, max_input_bytes, text, why);
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

toml::table parse_toml(const std::string& file, const std::string& text) {
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw config_error(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                       one_line(std::string(e.description())));
  }
}

// A file named by a key: relative to the directory of the file that named it,
// else relative to the current directory. Returns "" if neither exists and
// lists what was tried.
std::string resolve(const std::string& ref, const std::string& named_by, std::vector<std::string>& tried) {
  std::error_code ec;
  const fs::path r(ref);
  std::vector<fs::path> candidates;
  if (!r.is_absolute() && named_by != set_origin) candidates.push_back((fs::path(named_by).parent_path() / r).lexically_normal());
  const fs::path as_given = r.lexically_normal();
  if (candidates.empty() || candidates[0] != as_given) candidates.push_back(as_given);
  for (const auto& c : candidates) {
    tried.push_back(c.string());
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  return {};
}

std::string tried_text(const std::vector<std::string>& tried) {
  std::string out = "cannot open '" + tried[0] + "'";
  for (std::size_t i = 1; i < tried.size(); ++i) out += " nor '" + tried[i] + "'";
  return out;
}

constexpr std::size_t max_csv_values = 65533;
constexpr double max_trace_rows = 1e8;

// One value per site: one per line or comma/whitespace-separated, '#' starts a
// comment, a first line that is not a number is a header. Errors: "FILE:LINE: ...".
bool parse_number_list(const std::string& file, const std::string& text, std::vector<double>& out, std::string& error) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool seen_data = false;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string token;
    bool first_token = true;
    while (fields >> token) {
      char* end = nullptr;
      const double v = std::strtod(token.c_str(), &end);
      if (end == token.c_str() || *end != '\0') {
        if (!seen_data && first_token) break;  // a header line
        error = file + ":" + std::to_string(number) + ": expected a number, got '" + token + "'";
        return false;
      }
      if (!std::isfinite(v)) {
        error = file + ":" + std::to_string(number) + ": value " + std::to_string(out.size()) + " = " + token +
                ": must be finite";
        return false;
      }
      if (out.size() >= max_csv_values) {
        error = file + ":" + std::to_string(number) + ": more than " + std::to_string(max_csv_values) +
                " values (one per site, and sites <= 65533)";
        return false;
      }
      out.push_back(v);
      first_token = false;
    }
    if (!first_token || line.find_first_not_of(" \t\r") != std::string::npos) seen_data = true;
  }
  return true;
}

// ---------------------------------------------------------------- --set

struct key_segment {
  std::string name;
  std::optional<std::size_t> index;
};

struct override_item {
  std::string text;  // as given
  std::string key;   // canonical dotted key
  std::vector<key_segment> segments;
  toml::table holder;  // holds the value as "v"
  const toml::node& value() const { return *holder.get("v"); }
};

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

bool bare_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

override_item parse_override(const std::string& text) {
  override_item item;
  item.text = text;
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw config_error("--set " + text + ": expected key=value");
  const std::string key = trim(text.substr(0, eq));
  const std::string value = trim(text.substr(eq + 1));
  if (key.empty()) throw config_error("--set " + text + ": expected key=value (the key is empty)");
  const auto bad_key = [&] {
    return config_error("--set " + text + ": '" + key +
                        "' is not a dotted key (e.g. device.sites or species[0].fill)");
  };
  std::size_t pos = 0;
  while (true) {
    key_segment seg;
    while (pos < key.size() && bare_key_char(key[pos])) seg.name += key[pos++];
    if (seg.name.empty()) throw bad_key();
    if (pos < key.size() && key[pos] == '[') {
      const auto close = key.find(']', pos);
      if (close == std::string::npos || close == pos + 1) throw bad_key();
      const std::string digits = key.substr(pos + 1, close - pos - 1);
      if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6) throw bad_key();
      seg.index = static_cast<std::size_t>(std::stoul(digits));
      pos = close + 1;
    }
    item.key = seg.index ? join(item.key, seg.name) + "[" + std::to_string(*seg.index) + "]" : join(item.key, seg.name);
    item.segments.push_back(std::move(seg));
    if (pos == key.size()) break;
    if (key[pos] != '.') throw bad_key();
    ++pos;
  }
  // A TOML value if it parses as one, else (a bare word) a string.
  try {
    toml::table t = toml::parse("v = " + value, std::string_view(set_origin));
    if (t.size() == 1 && t.contains("v")) {
      item.holder = std::move(t);
      return item;
    }
  } catch (const toml::parse_error& e) {
    if (!value.empty() && std::string_view("\"'[{").find(value[0]) != std::string_view::npos)
      throw config_error("--set " + text + ": not a TOML value: " + one_line(std::string(e.description())));
  }
  item.holder.insert("v", value);
  return item;
}

// ---------------------------------------------------------------- the loader

template <class T>
using choices = std::vector<std::pair<std::string_view, T>>;

class loader {
 public:
  explicit loader(std::string run_path) : run_path_(std::move(run_path)) {}

  toml::table doc;  // run file merged over material, then overrides

  // ---- where keys came from

  origin origin_of(std::string path) const {
    while (true) {
      if (auto it = origins_.find(path); it != origins_.end()) return it->second;
      if (path.empty()) return {run_path_, 0};
      const auto cut = path.find_last_of(".[");
      path = cut == std::string::npos ? std::string() : path.substr(0, cut);
    }
  }

  // Whether a file or --set gave PATH (an entry of a CSV counts as given).
  bool given(std::string path) const {
    while (!path.empty() && path.back() == ']' && path.rfind('[') != std::string::npos) path.erase(path.rfind('['));
    return origins_.count(path) > 0;
  }

  [[noreturn]] void fail(const std::string& path, const toml::node& n, const std::string& what) const {
    throw config_error(where(origin_of(path)) + ": " + path + " = " + show(n) + ": " + what);
  }
  [[noreturn]] void fail_at(const std::string& path, const std::string& what) const {
    throw config_error(where(origin_of(path)) + ": " + what);
  }

  void record(const toml::node& n, const std::string& path, const std::string& file) {
    origins_[path] = {file, file == set_origin ? 0u : n.source().begin.line};
    if (const auto* t = n.as_table()) {
      for (auto&& [k, v] : *t) record(v, join(path, k.str()), file);
    } else if (const auto* a = n.as_array()) {
      for (std::size_t i = 0; i < a->size(); ++i) record((*a)[i], indexed(path, i), file);
    }
  }

  void forget(const std::string& path) {
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
  void drop_landscape(toml::table& device) {
    for (std::string_view k : {"site_energy", "site_energy_csv"}) {
      device.erase(k);
      forget(join("device", k));
    }
  }

  void put(toml::table& dst, const std::string& path, std::string_view key, const toml::node& value,
           const std::string& file) {
    const std::string p = join(path, key);
    if (path == "device" && (key == "site_energy" || key == "site_energy_csv")) drop_landscape(dst);
    forget(p);
    record(value, p, file);
    dst.insert_or_assign(key, value);
  }

  // Tables merge key by key; anything else (values, arrays, arrays of tables) is replaced.
  void merge(toml::table& dst, const toml::table& src, const std::string& path, const std::string& file) {
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

  // One --set: the value replaces what the files gave at that key. An index
  // one past the end of an array (species[2] of two) appends a fresh entry,
  // so species[0].fill works even where no file has [[species]].
  void apply(const override_item& o) {
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
      const bool listed = seg.name == "species" || seg.name == "rail_class" || seg.name == "site_energy";
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
        if (i > a->size())
          throw fail_set(path + " has " + std::to_string(a->size()) + " entries (indices from 0)");
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

  // ---- schema checks

  [[noreturn]] void unknown(const std::string& path, const toml::node& n, std::string_view key,
                            std::string_view section, const key_list& allowed) const {
    const bool is_section = section.empty() && (n.is_table() || n.is_array_of_tables());
    fail_at(path, describe(path, n) + ": " + (is_section ? "unknown section" : "unknown key") +
                      suggestion(key, section, allowed));
  }

  void check_keys(const toml::table& t, const std::string& path, std::string_view section,
                  const key_list& allowed) const {
    for (auto&& [k, v] : t)
      if (!contains(allowed, k.str())) unknown(join(path, k.str()), v, k.str(), section, allowed);
  }

  const toml::table* table_at(const toml::table& parent, const std::string& parent_path, std::string_view key,
                              const key_list& allowed) const {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    const std::string path = join(parent_path, key);
    const auto* t = n->as_table();
    if (!t) fail(path, *n, "expected a table ([" + path + "])");
    check_keys(*t, path, key, allowed);
    return t;
  }

  // An array of tables; nullopt if absent.
  std::optional<std::vector<const toml::table*>> tables_at(const toml::table& parent, const std::string& parent_path,
                                                           std::string_view key, const key_list& allowed) const {
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

  // ---- typed getters: false if absent, config_error if of the wrong type

  bool get(const toml::table& t, const std::string& path, std::string_view key, double& out) const {
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

  bool get_integer(const toml::node& n, const std::string& path, std::int64_t& out, const char* expected) const {
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

  bool get(const toml::table& t, const std::string& path, std::string_view key, int& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    std::int64_t v = 0;
    get_integer(*n, join(path, key), v, "expected an integer");
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      fail(join(path, key), *n, "expected an integer in [-2147483648, 2147483647]");
    out = static_cast<int>(v);
    return true;
  }

  bool get(const toml::table& t, const std::string& path, std::string_view key, std::uint64_t& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    std::int64_t v = 0;
    get_integer(*n, join(path, key), v, "expected an integer >= 0");
    if (v < 0) fail(join(path, key), *n, "expected an integer >= 0");
    out = static_cast<std::uint64_t>(v);
    return true;
  }

  bool get(const toml::table& t, const std::string& path, std::string_view key, bool& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    const auto* b = n->as_boolean();
    if (!b) fail(join(path, key), *n, "expected a boolean (true or false)");
    out = b->get();
    return true;
  }

  bool get(const toml::table& t, const std::string& path, std::string_view key, std::string& out) const {
    const toml::node* n = t.get(key);
    if (!n) return false;
    const auto* s = n->as_string();
    if (!s) fail(join(path, key), *n, "expected a string");
    out = s->get();
    return true;
  }

  bool get(const toml::table& t, const std::string& path, std::string_view key, std::vector<double>& out) const {
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
    std::string what = "expected one of ";
    for (std::size_t i = 0; i < names.size(); ++i) what += (i ? ", " : "") + quote(names[i]);
    std::optional<std::string_view> idea = closest(word, names);
    for (const auto& [from, to] : choice_aliases)
      if (word == from && contains(names, to)) idea = to;
    if (idea) what += ", did you mean " + quote(*idea) + "?";
    fail(join(path, key), *t.get(key), what);
  }

  // ---- files named by keys

  // Opens the file a string key names; "" (an empty string) means none.
  std::string named_file(const std::string& path, const toml::node& n, const std::string& ref, std::string& text) const {
    std::vector<std::string> tried;
    const std::string file = resolve(ref, origin_of(path).file, tried);
    if (file.empty()) fail(path, n, tried_text(tried));
    std::string why;
    if (!read_text(file, text, why)) fail(path, n, "cannot open '" + file + "' (" + why + ")");
    return file;
  }

  std::vector<double> values_csv(const toml::table& t, const std::string& parent, std::string_view key) const {
    std::string ref;
    if (!get(t, parent, key, ref) || ref.empty()) return {};
    const std::string path = join(parent, key);
    std::string text;
    const std::string file = named_file(path, *t.get(key), ref, text);
    std::vector<double> values;
    std::string error;
    if (!parse_number_list(file, text, values, error)) fail(path, *t.get(key), error);
    return values;
  }

  // [[...site_energy]] entries {first_site, last_site, energy_ev} added onto a
  // zero landscape of `sites` sites; empty if `sites` is out of range (validate reports it).
  std::vector<double> ranges(const toml::table& parent, const std::string& parent_path, int sites) const {
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

  // ---- kmc::validate messages, located

  // validate() names struct fields; a few live under other TOML keys.
  std::string toml_key(const std::string& key) const {
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

  template <class F>
  void checked(F&& validate) const {
    try {
      validate();
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      const auto eq = message.find(" = ");
      const std::string key = message.substr(0, eq);
      const std::string renamed = toml_key(key);
      const std::string path = renamed.substr(0, renamed.find(' '));
      std::string rest = message.substr(key.size());
      // A value nobody set: say so, it is the struct's default.
      if (path == renamed && !given(path) && rest.compare(0, 3, " = ") == 0)
        if (const auto colon = rest.find(": "); colon != std::string::npos) rest.insert(colon, " (default)");
      throw config_error(where(origin_of(path)) + ": " + renamed + rest);
    }
  }

 private:
  std::string run_path_;
  std::map<std::string, origin> origins_;
};

const choices<kmc::method> method_choices{{"sync", kmc::method::sync}, {"bkl", kmc::method::bkl}};
const choices<std::string> backend_choices{{"cpu", "cpu"}, {"cuda", "cuda"}, {"auto", "auto"}};
const choices<kmc::readout_source> source_choices{{"f_right", kmc::readout_source::f_right},
                                                  {"f_left", kmc::readout_source::f_left}};
const choices<kmc::protocol_kind> kind_choices{{"relax", kmc::protocol_kind::relax},
                                               {"sweep", kmc::protocol_kind::sweep},
                                               {"pulses", kmc::protocol_kind::pulses},
                                               {"waveform", kmc::protocol_kind::waveform}};

const key_list& kind_keys(kmc::protocol_kind k) {
  switch (k) {
    case kmc::protocol_kind::relax: return relax_keys;
    case kmc::protocol_kind::sweep: return sweep_keys;
    case kmc::protocol_kind::pulses: return pulses_keys;
    case kmc::protocol_kind::waveform: return waveform_keys;
  }
  return relax_keys;
}

template <class Named>
void check_unique_names(const loader& l, const toml::table& doc, const std::vector<Named>& items, const char* section) {
  for (std::size_t i = 0; i < items.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (items[i].name == items[j].name) {
        const std::string p = indexed(section, i) + ".name";
        const auto* n = doc.at_path(p).node();
        const std::string shown = n ? show(*n) : quote(items[i].name);
        l.fail_at(p, p + " = " + shown + ": duplicate of " + indexed(section, j) + ".name; names must be unique");
      }
}

void read_config(loader& l, run_config& c) {
  const toml::table& doc = l.doc;
  for (auto&& [k, v] : doc)
    if (!contains(top_keys, k.str())) l.unknown(std::string(k.str()), v, k.str(), "", top_keys);

  // [device] and [field], [[species]], [[rail_class]], [readout]
  auto& d = c.device;
  const toml::table* device = l.table_at(doc, "", "device", device_keys);
  if (device) {
    l.get(*device, "device", "thickness_nm", d.thickness_nm);
    l.get(*device, "device", "sites", d.sites);
    l.get(*device, "device", "rails", d.rails);
    l.get(*device, "device", "temperature_k", d.temperature_k);
    l.get(*device, "device", "zones", d.zones);
    l.get(*device, "device", "area_um2", d.area_um2);
    l.get(*device, "device", "rails_per_area_m2", d.rails_per_area_m2);
    if (device->contains("site_energy_csv") && device->contains("site_energy"))
      l.fail_at("device.site_energy",
                "device.site_energy and device.site_energy_csv are mutually exclusive: give the landscape one way");
    if (device->contains("site_energy_csv"))
      d.site_energy_ev = l.values_csv(*device, "device", "site_energy_csv");
    else
      d.site_energy_ev = l.ranges(*device, "device", d.sites);
    d.initial_profile = l.values_csv(*device, "device", "initial_profile_csv");
  }
  if (const auto* field = l.table_at(doc, "", "field", field_keys)) {
    l.get(*field, "field", "ion_density_m3", d.ion_density_m3);
    l.get(*field, "field", "rel_permittivity", d.rel_permittivity);
    l.get(*field, "field", "per_class", d.field_per_class);
    l.get(*field, "field", "field_every", c.sim.field_every);
  }
  if (const auto* r = l.table_at(doc, "", "readout", readout_keys)) {
    l.get_choice(*r, "readout", "source", source_choices, d.readout.source);
    l.get(*r, "readout", "g0_s", d.readout.g0_s);
    l.get(*r, "readout", "g1_s", d.readout.g1_s);
    l.get(*r, "readout", "g_min_s", d.readout.g_min_s);
    l.get(*r, "readout", "g_max_s", d.readout.g_max_s);
  }
  if (auto list = l.tables_at(doc, "", "species", species_keys)) {
    d.species.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& t = *(*list)[i];
      const std::string p = indexed("species", i);
      kmc::species_params s;
      l.get(t, p, "name", s.name);
      l.get(t, p, "charge", s.charge);
      l.get(t, p, "activation_energy_ev", s.activation_energy_ev);
      l.get(t, p, "attempt_frequency_hz", s.attempt_frequency_hz);
      l.get(t, p, "fill", s.fill);
      d.species.push_back(std::move(s));
    }
  }
  if (auto list = l.tables_at(doc, "", "rail_class", rail_class_keys)) {
    d.classes.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table& t = *(*list)[i];
      const std::string p = indexed("rail_class", i);
      kmc::rail_class_params rc;
      l.get(t, p, "name", rc.name);
      l.get(t, p, "fraction", rc.fraction);
      l.get(t, p, "activation_shift_ev", rc.activation_shift_ev);
      l.get(t, p, "attempt_frequency_scale", rc.attempt_frequency_scale);
      rc.site_energy_ev = l.ranges(t, p, d.sites);
      d.classes.push_back(std::move(rc));
    }
  }

  // [sim]
  if (const auto* s = l.table_at(doc, "", "sim", sim_keys)) {
    l.get_choice(*s, "sim", "method", method_choices, c.sim.solver);
    l.get(*s, "sim", "dt_s", c.sim.dt_s);
    l.get(*s, "sim", "p_max", c.sim.p_max);
    l.get(*s, "sim", "dt_max_s", c.sim.dt_max_s);
    l.get(*s, "sim", "seed", c.sim.seed);
    l.get(*s, "sim", "threads", c.sim.threads);
    l.get_choice(*s, "sim", "backend", backend_choices, c.backend);
  }

  // [protocol]
  auto& p = c.protocol;
  const toml::table* protocol = l.table_at(doc, "", "protocol", protocol_keys);
  if (protocol) {
    const toml::table& t = *protocol;
    l.get_choice(t, "protocol", "kind", kind_choices, p.kind);
    const key_list& mine = kind_keys(p.kind);
    for (auto&& [k, v] : t) {
      if (contains(mine, k.str()) || !contains(protocol_keys, k.str())) continue;
      for (const auto& [name, kind] : kind_choices) {
        if (kind == p.kind || !contains(kind_keys(kind), k.str())) continue;
        const std::string key = join("protocol", k.str());
        std::string why = "protocol.kind = " + quote(kmc::to_string(p.kind));
        if (!t.contains("kind"))
          why += " (the default)";
        else if (l.origin_of("protocol.kind").file != l.origin_of(key).file)
          why += " (from " + l.origin_of("protocol.kind").file + ")";
        l.fail_at(key, key + " is a " + std::string(name) + " key but " + why);
      }
    }
    l.get(t, "protocol", "sample_every_s", p.sample_every_s);
    l.get(t, "protocol", "profile_times_s", p.profile_times_s);
    l.get(t, "protocol", "temperatures_k", c.temperatures_k);
    l.get(t, "protocol", "voltage_v", p.relax.voltage_v);
    l.get(t, "protocol", "pulse_s", p.relax.pulse_s);
    l.get(t, "protocol", "relax_s", p.relax.relax_s);
    l.get(t, "protocol", "v_max_v", p.sweep.v_max_v);
    l.get(t, "protocol", "rate_v_per_s", p.sweep.rate_v_per_s);
    l.get(t, "protocol", "cycles", p.sweep.cycles);
    l.get(t, "protocol", "n_pot", p.pulses.n_pot);
    l.get(t, "protocol", "n_dep", p.pulses.n_dep);
    l.get(t, "protocol", "v_pot_v", p.pulses.v_pot_v);
    l.get(t, "protocol", "v_dep_v", p.pulses.v_dep_v);
    l.get(t, "protocol", "width_s", p.pulses.width_s);
    l.get(t, "protocol", "gap_s", p.pulses.gap_s);
    l.get(t, "protocol", "read_v", p.pulses.read_v);
    std::string ref;
    if (l.get(t, "protocol", "waveform_csv", ref) && !ref.empty()) {
      std::vector<std::string> tried;
      p.waveform_csv = resolve(ref, l.origin_of("protocol.waveform_csv").file, tried);
      if (p.waveform_csv.empty()) l.fail("protocol.waveform_csv", *t.get("waveform_csv"), tried_text(tried));
    }
  }

  // [output]
  if (const auto* o = l.table_at(doc, "", "output", output_keys)) {
    l.get(*o, "output", "title", c.title);
    l.get(*o, "output", "plots", c.plots);
  }

  // [calibration]: used by `ionrail calibrate`.
  if (const auto* cal = l.table_at(doc, "", "calibration", calibration_keys)) {
    auto& k = c.calibration;
    l.get(*cal, "calibration", "device_rails", k.device_rails);
    l.get(*cal, "calibration", "devices", k.devices);
    l.get(*cal, "calibration", "runs", k.runs);
    l.get(*cal, "calibration", "duration_s", k.duration_s);
    l.get(*cal, "calibration", "dt_m_s", k.dt_m_s);
    l.get(*cal, "calibration", "v_max_v", k.v_max_v);
    l.get(*cal, "calibration", "state_bits", k.state_bits);
    l.get(*cal, "calibration", "v_step_v", k.v_step_v);
    l.get(*cal, "calibration", "noise_lag_s", k.noise_lag_s);
    l.get(*cal, "calibration", "state_variables", k.state_variables);
    auto range = [&](const char* key, double v, double lo, double hi, const char* text) {
      if (!(v >= lo && v <= hi)) l.fail(std::string("calibration.") + key, *cal->get(key), text);
    };
    if (cal->get("device_rails")) range("device_rails", k.device_rails, 1, 1e6, "must be in [1, 1000000]");
    if (cal->get("devices")) range("devices", k.devices, 2, 255, "must be in [2, 255] (rail classes)");
    if (cal->get("runs")) range("runs", k.runs, 1, 1e4, "must be in [1, 10000]");
    if (cal->get("duration_s")) range("duration_s", k.duration_s, 1e-6, 1e7, "must be in (0, 1e7] s");
    if (cal->get("dt_m_s")) range("dt_m_s", k.dt_m_s, 1e-9, 1e3, "must be in (0, 1000] s");
    if (cal->get("v_max_v")) range("v_max_v", k.v_max_v, 1e-3, 15.5, "must be in (0, 15.5] V (the model's voltage format holds ±16 V)");
    if (cal->get("state_bits")) range("state_bits", k.state_bits, 2, 12, "must be in [2, 12]");
    if (cal->get("noise_lag_s")) range("noise_lag_s", k.noise_lag_s, 1e-9, 1e4, "must be in (0, 10000] s");
    if (cal->get("state_variables"))
      range("state_variables", k.state_variables, 1, 2, "must be 1 (readout state only) or 2 (slow state + fast fluctuation)");
    if (cal->get("v_step_v")) {
      // The model extracts the voltage index by a shift: the step is a power of two volts.
      const double e = std::log2(k.v_step_v);
      if (!(std::isfinite(e) && e == std::floor(e) && k.v_step_v >= 1.0 / 2048 && k.v_step_v <= 8))
        l.fail("calibration.v_step_v", *cal->get("v_step_v"), "must be a power of two volts in [2^-11, 8]");
    }
  }

  // A directory or file named by a key of a circuit section, relative to the
  // file that named it (else to the current directory).
  auto path_of = [&](const toml::table& sec, const char* section, const char* key, std::string& out, bool directory) {
    std::string ref;
    if (!l.get(sec, section, key, ref)) return;
    const std::string path = std::string(section) + "." + key;
    const fs::path named_by(l.origin_of(path).file);
    std::vector<fs::path> candidates;
    if (!fs::path(ref).is_absolute() && named_by.string() != set_origin)
      candidates.push_back((named_by.parent_path() / ref).lexically_normal());
    candidates.push_back(fs::path(ref).lexically_normal());
    std::error_code ec;
    for (const auto& cand : candidates)
      if (directory ? fs::is_directory(cand, ec) : fs::is_regular_file(cand, ec)) {
        out = cand.string();
        return;
      }
    l.fail(path, *sec.get(key), std::string("no such ") + (directory ? "directory" : "file") + " (tried '" +
                                    candidates.front().string() + "')");
  };
  // [crossbar]: used by `ionrail crossbar`.
  if (const auto* xb = l.table_at(doc, "", "crossbar", crossbar_keys)) {
    auto& x = c.crossbar;
    auto dir_of = [&](const char* key, std::string& out, bool directory) {
      path_of(*xb, "crossbar", key, out, directory);
    };
    dir_of("table", x.table_dir, true);
    dir_of("data", x.data_file, false);
    auto& a = x.array;
    auto& lp = x.learning;
    l.get(*xb, "crossbar", "epochs", lp.epochs);
    l.get(*xb, "crossbar", "v_write_v", lp.v_write_v);
    l.get(*xb, "crossbar", "v_write_final_v", lp.v_write_final_v);
    l.get(*xb, "crossbar", "softmax_beta", lp.softmax_beta);
    l.get(*xb, "crossbar", "error_threshold", lp.error_threshold);
    l.get(*xb, "crossbar", "active_pixel", lp.active_pixel);
    l.get(*xb, "crossbar", "pulse_train_length", lp.pulse_train_length);
    l.get(*xb, "crossbar", "rest_steps", lp.rest_steps);
    l.get(*xb, "crossbar", "retention_s", lp.retention_s);
    l.get(*xb, "crossbar", "test_count", lp.test_count);
    l.get(*xb, "crossbar", "train_limit", lp.train_limit);
    l.get(*xb, "crossbar", "dac_bits", a.dac_bits);
    l.get(*xb, "crossbar", "adc_bits", a.adc_bits);
    l.get(*xb, "crossbar", "v_read_v", a.v_read_v);
    l.get(*xb, "crossbar", "adc_full_scale_a", a.adc_full_scale_a);
    l.get(*xb, "crossbar", "wire_ohm", a.wire_ohm);
    l.get(*xb, "crossbar", "gain_sigma", a.gain_sigma);
    l.get(*xb, "crossbar", "offset_sigma_s", a.offset_sigma_s);
    l.get(*xb, "crossbar", "noise", a.noise);
    x.initial_state_given = l.get(*xb, "crossbar", "initial_state", a.initial_state);
    auto range = [&](const char* key, double v, double lo, double hi, const char* text) {
      if (xb->get(key) && !(v >= lo && v <= hi)) l.fail(std::string("crossbar.") + key, *xb->get(key), text);
    };
    range("epochs", lp.epochs, 1, 1000, "must be in [1, 1000]");
    range("v_write_v", lp.v_write_v, 1e-3, 15.9, "must be in (0, 15.9] V (the model's voltage format holds ±16 V)");
    range("v_write_final_v", lp.v_write_final_v, 0, 15.9, "must be in [0, 15.9] V (0: v_write_v throughout)");
    range("softmax_beta", lp.softmax_beta, 1e-9, 1e6, "must be > 0");
    range("error_threshold", lp.error_threshold, 0, 0.999, "must be in [0, 1)");
    range("active_pixel", lp.active_pixel, 0, 16, "must be in [0, 16] (pixel values)");
    range("pulse_train_length", lp.pulse_train_length, 0, 1000,
          "must be in [0, 1000] (0: Manhattan rule; else slots of a stochastic pulse train)");
    range("rest_steps", lp.rest_steps, 0, 1e6, "must be in [0, 10^6]");
    range("retention_s", lp.retention_s, 0, 1e7, "must be in [0, 10^7] s");
    range("test_count", lp.test_count, 10, 1000, "must be in [10, 1000] (of 1797 digits)");
    range("train_limit", lp.train_limit, 0, 1e6, "must be >= 0 (0: all)");
    range("dac_bits", a.dac_bits, 1, 16, "must be in [1, 16]");
    range("adc_bits", a.adc_bits, 2, 24, "must be in [2, 24]");
    range("v_read_v", a.v_read_v, 1e-6, 15.9, "must be in (0, 15.9] V");
    range("adc_full_scale_a", a.adc_full_scale_a, 0, 1, "must be in [0, 1] A (0: automatic)");
    range("wire_ohm", a.wire_ohm, 0, 1e6, "must be in [0, 10^6] ohm (0: ideal wires)");
    range("gain_sigma", a.gain_sigma, 0, 0.5, "must be in [0, 0.5]");
    range("offset_sigma_s", a.offset_sigma_s, 0, 1e-3, "must be in [0, 1e-3] S");
    range("initial_state", a.initial_state, 0, 1, "must be in [0, 1]");
  }

  // [snn]: used by `ionrail snn`.
  if (const auto* sn = l.table_at(doc, "", "snn", snn_keys)) {
    auto& x = c.snn;
    path_of(*sn, "snn", "table", x.table_dir, true);
    path_of(*sn, "snn", "data", x.data_file, false);
    auto& n = x.network;
    l.get(*sn, "snn", "neurons", n.neurons);
    l.get(*sn, "snn", "epochs", n.epochs);
    l.get(*sn, "snn", "present_steps", n.present_steps);
    l.get(*sn, "snn", "rest_steps", n.rest_steps);
    l.get(*sn, "snn", "max_rate", n.max_rate);
    l.get(*sn, "snn", "input_spikes", n.input_spikes);
    l.get(*sn, "snn", "anneal", n.anneal);
    l.get(*sn, "snn", "v_read_v", n.v_read_v);
    l.get(*sn, "snn", "leak", n.leak);
    l.get(*sn, "snn", "threshold", n.threshold);
    l.get(*sn, "snn", "theta_plus", n.theta_plus);
    l.get(*sn, "snn", "theta_decay", n.theta_decay);
    l.get(*sn, "snn", "refractory_steps", n.refractory_steps);
    l.get(*sn, "snn", "pre_v", n.waveform.pre_v);
    l.get(*sn, "snn", "pre_steps", n.waveform.pre_steps);
    l.get(*sn, "snn", "post_v1", n.waveform.post_v1);
    l.get(*sn, "snn", "post_v2", n.waveform.post_v2);
    l.get(*sn, "snn", "initial_state", n.initial_state);
    l.get(*sn, "snn", "init_spread", n.init_spread);
    l.get(*sn, "snn", "train_limit", n.train_limit);
    l.get(*sn, "snn", "label_limit", n.label_limit);
    l.get(*sn, "snn", "test_count", n.test_count);
    l.get(*sn, "snn", "noise", n.noise);
    l.get(*sn, "snn", "window_steps", x.window_steps);
    auto range = [&](const char* key, double v, double lo, double hi, const char* text) {
      if (sn->get(key) && !(v >= lo && v <= hi)) l.fail(std::string("snn.") + key, *sn->get(key), text);
    };
    range("neurons", n.neurons, 1, 10000, "must be in [1, 10000]");
    range("epochs", n.epochs, 1, 100, "must be in [1, 100]");
    range("present_steps", n.present_steps, 1, 10000, "must be in [1, 10000]");
    range("rest_steps", n.rest_steps, 0, 10000, "must be in [0, 10000]");
    range("max_rate", n.max_rate, 1e-6, 1, "must be in (0, 1] (spike probability per step)");
    range("input_spikes", n.input_spikes, 0, 64, "must be in [0, 64] input spikes per step (0: off)");
    range("anneal", n.anneal, 1e-6, 1, "must be in (0, 1] (programming levels × anneal per epoch)");
    range("v_read_v", n.v_read_v, 1e-6, 15.9, "must be in (0, 15.9] V");
    range("leak", n.leak, 0, 1, "must be in [0, 1] (retention per step)");
    range("threshold", n.threshold, 1e-6, 100, "must be in (0, 100] membrane units");
    range("theta_plus", n.theta_plus, 0, 100, "must be in [0, 100]");
    range("theta_decay", n.theta_decay, 0, 1, "must be in [0, 1]");
    range("refractory_steps", n.refractory_steps, 0, 65535, "must be in [0, 65535]");
    for (const char* k : {"pre_v", "post_v1", "post_v2"})
      range(k, k[1] == 'r' ? n.waveform.pre_v : (k[5] == '1' ? n.waveform.post_v1 : n.waveform.post_v2), 0, 7.9,
            "must be in [0, 7.9] V (pre and post levels add up across a device: ±16 V at most)");
    range("pre_steps", n.waveform.pre_steps, 1, 100, "must be in [1, 100]");
    range("initial_state", n.initial_state, 0, 1, "must be in [0, 1]");
    range("init_spread", n.init_spread, 0, 0.5, "must be in [0, 0.5]");
    range("train_limit", n.train_limit, 0, 1e6, "must be >= 0 (0: all)");
    range("label_limit", n.label_limit, 0, 1e6, "must be >= 0 (0: all)");
    range("test_count", n.test_count, 10, 1000, "must be in [10, 1000]");
    range("window_steps", x.window_steps, 1, 100, "must be in [1, 100]");
  }

  // [series]: one numeric key run at several values (each a variant of the run).
  if (const auto* sr = l.table_at(doc, "", "series", series_keys)) {
    l.get(*sr, "series", "key", c.series_key);
    l.get(*sr, "series", "values", c.series_values);
    const auto dot = c.series_key.find('.');
    bool known = false;
    if (dot != std::string::npos)
      for (const auto& sec : sections)
        if (sec.name == c.series_key.substr(0, dot) && sec.name != "series" &&
            contains(*sec.keys, c.series_key.substr(dot + 1)))
          known = true;
    // (Found by fuzzing: a [series] without key or values.)
    if (!sr->get("key")) l.fail_at("series", "series.key is missing: [series] needs key and values");
    if (!sr->get("values")) l.fail_at("series", "series.values is missing: [series] needs key and values");
    if (!known)
      l.fail("series.key", *sr->get("key"), "must name a numeric key as section.key, e.g. \"protocol.voltage_v\"");
    if (c.series_values.empty()) l.fail("series.values", *sr->get("values"), "must list at least one value");
  }

  // Ranges (kmc::validate), names, temperatures, the waveform's contents.
  l.checked([&] { kmc::validate(c.device); });
  check_unique_names(l, doc, d.species, "species");
  check_unique_names(l, doc, d.classes, "rail_class");
  l.checked([&] { kmc::validate(c.sim); });
  l.checked([&] { kmc::validate(c.device, c.sim); });
  l.checked([&] { kmc::validate(c.protocol); });
  for (std::size_t i = 0; i < c.temperatures_k.size(); ++i) {
    const double v = c.temperatures_k[i];
    if (!std::isfinite(v) || !(v > 0)) {
      const std::string key = indexed("protocol.temperatures_k", i);
      l.fail_at(key, key + " = " + format_number(v) + ": must be finite and > 0");
    }
  }
  kmc::protocol_drive drive;
  if (p.kind == kmc::protocol_kind::waveform) {
    try {
      drive = kmc::make_drive(p);
    } catch (const std::invalid_argument& e) {
      l.fail("protocol.waveform_csv", *protocol->get("waveform_csv"), one_line(e.what()));
    }
  } else {
    drive = kmc::make_drive(p);
  }

  // The trace: one row per sample_every_s over the drive (held in memory).
  const double rows = drive.duration_s / p.sample_every_s;
  if (!(rows <= max_trace_rows)) {
    const std::string key = "protocol.sample_every_s";
    const std::string what = "gives " + format_short(std::floor(rows) + 1) + " trace rows over the " +
                             format_plain(drive.duration_s) + " s protocol; at most " + format_short(max_trace_rows) +
                             ": sample less often";
    if (const auto* n = l.doc.at_path(key).node()) l.fail(key, *n, what);
    l.fail_at(key, key + " = " + format_number(p.sample_every_s) + " (default): " + what);
  }

  // A given sync step must keep every hop probability below 1: (Γ+ + Γ−) dt
  // at the largest rate the applied field alone can give (space charge can
  // only raise it; the run still checks every rate table it builds).
  if (c.sim.solver == kmc::method::sync && c.sim.dt_s > 0) {
    const double volts = drive.voltage->max_abs_voltage();
    const double rate = kmc::max_rate_sum(c.device, volts / (c.device.thickness_nm * 1e-9));
    const double probability = rate * c.sim.dt_s;
    if (!(probability < 1)) {
      const std::string what = "the hop probability (rate right + rate left) x dt reaches " + format_short(probability) +
                               " at |V| = " + format_plain(volts) + " V (largest total hop rate " + format_short(rate) +
                               " /s at T = " + format_plain(c.device.temperature_k) + " K); must be < 1: dt_s < " +
                               format_short(1 / rate) + " s, or dt_s = 0 for the automatic step";
      if (const auto* n = l.doc.at_path("sim.dt_s").node()) l.fail("sim.dt_s", *n, what);
      l.fail_at("sim.dt_s", "sim.dt_s = " + format_number(c.sim.dt_s) + ": " + what);
    }
  }
}

// ---------------------------------------------------------------- JSON

toml::array to_array(const std::vector<double>& values) {
  toml::array a;
  for (double v : values) a.push_back(v);
  return a;
}

toml::table landscape_entry(const std::vector<double>& values) {
  toml::table t;
  t.insert("site_energy_ev", to_array(values));
  return t;
}

}  // namespace

run_config load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<override_item> sets;
  for (const auto& text : overrides) sets.push_back(parse_override(text));

  run_config c;
  c.path = path;
  c.title = fs::path(path).stem().string();
  loader l(path);

  std::string text, why;
  if (!read_text(path, text, why)) throw config_error(path + ": cannot open the run file (" + why + ")");
  const toml::table run = parse_toml(path, text);

  // The material: the run file's `material`, unless --set names another.
  std::string material_ref, named_by = path;
  const toml::node* material_node = run.get("material");
  for (const auto& s : sets)
    if (s.key == "material") material_node = &s.value(), named_by = set_origin;
  if (material_node) {
    const auto* str = material_node->as_string();
    if (!str) {
      const std::string at = named_by == set_origin ? named_by : where({path, material_node->source().begin.line});
      throw config_error(at + ": material = " + show(*material_node) + ": expected a string (a material file)");
    }
    material_ref = str->get();
  }
  if (!material_ref.empty()) {
    const std::string at = named_by == set_origin ? named_by : where({path, material_node->source().begin.line});
    std::vector<std::string> tried;
    c.material_path = resolve(material_ref, named_by, tried);
    if (c.material_path.empty())
      throw config_error(at + ": material = " + quote(material_ref) + ": " + tried_text(tried));
    if (!read_text(c.material_path, text, why))
      throw config_error(at + ": material = " + quote(material_ref) + ": cannot open '" + c.material_path + "' (" + why + ")");
    const toml::table material = parse_toml(c.material_path, text);
    for (auto&& [k, v] : material) {
      if (contains(material_sections, k.str())) continue;
      const std::string key(k.str());
      const origin o{c.material_path, v.source().begin.line};
      if (key == "material")
        throw config_error(where(o) + ": " + describe(key, v) + ": a material file cannot include another material");
      if (contains(top_keys, key))
        throw config_error(where(o) + ": " + key + ": a material file holds only [device], [[species]], [[rail_class]], "
                           "[field] and [readout]; put [" + key + "] in the run file");
    }
    l.merge(l.doc, material, "", c.material_path);
  }
  l.merge(l.doc, run, "", path);
  for (const auto& s : sets) l.apply(s);

  read_config(l, c);
  return c;
}

std::string resolved_parameters_json(const run_config& c) {
  const auto& d = c.device;
  toml::table root;
  root.insert("path", c.path);
  root.insert("material", c.material_path);

  toml::table device;
  device.insert("thickness_nm", d.thickness_nm);
  device.insert("sites", d.sites);
  device.insert("rails", d.rails);
  device.insert("temperature_k", d.temperature_k);
  device.insert("zones", d.zones);
  device.insert("area_um2", d.area_um2);
  device.insert("rails_per_area_m2", d.rails_per_area_m2);
  device.insert("site_energy_ev", to_array(d.site_energy_ev));
  device.insert("initial_profile", to_array(d.initial_profile));
  device.insert("ions_per_rail", d.ions_per_rail());
  device.insert("spacing_nm", d.thickness_nm / d.sites);
  root.insert("device", std::move(device));

  toml::array species;
  for (const auto& s : d.species) {
    toml::table t;
    t.insert("name", s.name);
    t.insert("charge", s.charge);
    t.insert("activation_energy_ev", s.activation_energy_ev);
    t.insert("attempt_frequency_hz", s.attempt_frequency_hz);
    t.insert("fill", s.fill);
    species.push_back(std::move(t));
  }
  root.insert("species", std::move(species));

  toml::array classes;
  for (const auto& rc : d.classes) {
    toml::table t = landscape_entry(rc.site_energy_ev);
    t.insert("name", rc.name);
    t.insert("fraction", rc.fraction);
    t.insert("activation_shift_ev", rc.activation_shift_ev);
    t.insert("attempt_frequency_scale", rc.attempt_frequency_scale);
    classes.push_back(std::move(t));
  }
  root.insert("rail_class", std::move(classes));

  toml::table field;
  field.insert("ion_density_m3", d.ion_density_m3);
  field.insert("rel_permittivity", d.rel_permittivity);
  field.insert("per_class", d.field_per_class);
  field.insert("field_every", c.sim.field_every);
  root.insert("field", std::move(field));

  toml::table sim;
  sim.insert("method", std::string(kmc::to_string(c.sim.solver)));
  sim.insert("dt_s", c.sim.dt_s);
  sim.insert("p_max", c.sim.p_max);
  sim.insert("dt_max_s", c.sim.dt_max_s);
  if (c.sim.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    sim.insert("seed", static_cast<std::int64_t>(c.sim.seed));
  else
    sim.insert("seed", std::to_string(c.sim.seed));
  sim.insert("threads", c.sim.threads);
  sim.insert("backend", c.backend);
  root.insert("sim", std::move(sim));

  toml::table readout;
  readout.insert("source", std::string(d.readout.source == kmc::readout_source::f_right ? "f_right" : "f_left"));
  readout.insert("g0_s", d.readout.g0_s);
  readout.insert("g1_s", d.readout.g1_s);
  readout.insert("g_min_s", d.readout.g_min_s);
  readout.insert("g_max_s", d.readout.g_max_s);
  root.insert("readout", std::move(readout));

  const auto& p = c.protocol;
  toml::table protocol;
  protocol.insert("kind", std::string(kmc::to_string(p.kind)));
  protocol.insert("sample_every_s", p.sample_every_s);
  protocol.insert("profile_times_s", to_array(p.profile_times_s));
  protocol.insert("temperatures_k", to_array(c.temperatures_k));
  switch (p.kind) {
    case kmc::protocol_kind::relax:
      protocol.insert("voltage_v", p.relax.voltage_v);
      protocol.insert("pulse_s", p.relax.pulse_s);
      protocol.insert("relax_s", p.relax.relax_s);
      break;
    case kmc::protocol_kind::sweep:
      protocol.insert("v_max_v", p.sweep.v_max_v);
      protocol.insert("rate_v_per_s", p.sweep.rate_v_per_s);
      protocol.insert("cycles", p.sweep.cycles);
      break;
    case kmc::protocol_kind::pulses:
      protocol.insert("n_pot", p.pulses.n_pot);
      protocol.insert("n_dep", p.pulses.n_dep);
      protocol.insert("v_pot_v", p.pulses.v_pot_v);
      protocol.insert("v_dep_v", p.pulses.v_dep_v);
      protocol.insert("width_s", p.pulses.width_s);
      protocol.insert("gap_s", p.pulses.gap_s);
      protocol.insert("read_v", p.pulses.read_v);
      break;
    case kmc::protocol_kind::waveform:
      protocol.insert("waveform_csv", p.waveform_csv);
      break;
  }
  root.insert("protocol", std::move(protocol));

  toml::table output;
  output.insert("title", c.title);
  output.insert("plots", c.plots);
  root.insert("output", std::move(output));
  {
    toml::table cal;
    cal.insert("device_rails", c.calibration.device_rails);
    cal.insert("devices", c.calibration.devices);
    cal.insert("runs", c.calibration.runs);
    cal.insert("duration_s", c.calibration.duration_s);
    cal.insert("dt_m_s", c.calibration.dt_m_s);
    cal.insert("v_max_v", c.calibration.v_max_v);
    cal.insert("state_bits", c.calibration.state_bits);
    cal.insert("v_step_v", c.calibration.v_step_v);
    cal.insert("noise_lag_s", c.calibration.noise_lag_s);
    cal.insert("state_variables", c.calibration.state_variables);
    root.insert("calibration", std::move(cal));
  }
  if (!c.crossbar.table_dir.empty()) {
    const auto& x = c.crossbar;
    toml::table xb;
    xb.insert("table", x.table_dir);
    xb.insert("data", x.data_file);
    xb.insert("epochs", x.learning.epochs);
    xb.insert("v_write_v", x.learning.v_write_v);
    xb.insert("v_write_final_v", x.learning.v_write_final_v);
    xb.insert("softmax_beta", x.learning.softmax_beta);
    xb.insert("error_threshold", x.learning.error_threshold);
    xb.insert("active_pixel", x.learning.active_pixel);
    xb.insert("pulse_train_length", x.learning.pulse_train_length);
    xb.insert("rest_steps", x.learning.rest_steps);
    xb.insert("retention_s", x.learning.retention_s);
    xb.insert("test_count", x.learning.test_count);
    xb.insert("train_limit", x.learning.train_limit);
    xb.insert("dac_bits", x.array.dac_bits);
    xb.insert("adc_bits", x.array.adc_bits);
    xb.insert("v_read_v", x.array.v_read_v);
    xb.insert("adc_full_scale_a", x.array.adc_full_scale_a);
    xb.insert("wire_ohm", x.array.wire_ohm);
    xb.insert("gain_sigma", x.array.gain_sigma);
    xb.insert("offset_sigma_s", x.array.offset_sigma_s);
    xb.insert("noise", x.array.noise);
    xb.insert("initial_state", x.array.initial_state);
    root.insert("crossbar", std::move(xb));
  }
  if (!c.snn.table_dir.empty()) {
    const auto& n = c.snn.network;
    toml::table sn;
    sn.insert("table", c.snn.table_dir);
    sn.insert("data", c.snn.data_file);
    sn.insert("neurons", n.neurons);
    sn.insert("epochs", n.epochs);
    sn.insert("present_steps", n.present_steps);
    sn.insert("rest_steps", n.rest_steps);
    sn.insert("max_rate", n.max_rate);
    sn.insert("input_spikes", n.input_spikes);
    sn.insert("anneal", n.anneal);
    sn.insert("v_read_v", n.v_read_v);
    sn.insert("leak", n.leak);
    sn.insert("threshold", n.threshold);
    sn.insert("theta_plus", n.theta_plus);
    sn.insert("theta_decay", n.theta_decay);
    sn.insert("refractory_steps", n.refractory_steps);
    sn.insert("pre_v", n.waveform.pre_v);
    sn.insert("pre_steps", n.waveform.pre_steps);
    sn.insert("post_v1", n.waveform.post_v1);
    sn.insert("post_v2", n.waveform.post_v2);
    sn.insert("initial_state", n.initial_state);
    sn.insert("init_spread", n.init_spread);
    sn.insert("train_limit", n.train_limit);
    sn.insert("label_limit", n.label_limit);
    sn.insert("test_count", n.test_count);
    sn.insert("noise", n.noise);
    sn.insert("window_steps", c.snn.window_steps);
    root.insert("snn", std::move(sn));
  }
  if (!c.series_key.empty()) {
    toml::table series;
    series.insert("key", c.series_key);
    series.insert("values", to_array(c.series_values));
    root.insert("series", std::move(series));
  }

  std::ostringstream os;
  os << toml::json_formatter{root};
  return os.str();
}

}  // namespace ionrail::config
