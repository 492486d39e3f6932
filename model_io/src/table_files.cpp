#include <ionrail/model_io/table_files.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>

#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_file.hpp>

namespace fs = std::filesystem;

namespace ionrail::model_io {
namespace {

// ---- text helpers (no formatting library: this target uses the standard library only)

// The shortest text that reads back as v (whole numbers without exponent).
std::string num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}
std::string g9(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
std::string hex16(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void put(std::ostringstream&) {}
template <class T, class... Rest>
void put(std::ostringstream& os, const T& first, const Rest&... rest) {
  if constexpr (std::is_floating_point_v<T>)
    os << num(static_cast<double>(first));
  else
    os << first;
  put(os, rest...);
}
// The arguments concatenated (numbers as num() writes them).
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  put(os, args...);
  return os.str();
}

[[noreturn]] void refuse(const std::string& what) { throw input_error(what); }

std::string read_file(const fs::path& p) {
  // Only regular files, and not more than any table needs: a device or a
  // pipe named as a table file is refused instead of read forever.
  return read_input_file(p.string(), max_input_bytes, "table file");
}

// table.json whole: one object from '{' to '}' (a truncated file was
// reported as missing whichever key came after the cut).
std::string read_table_json(const fs::path& p) {
  const std::string text = read_file(p);
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{' || text[last] != '}')
    refuse(p.string() + ": not one whole JSON object (truncated or not a table.json); write the table again");
  return text;
}

// The text after "key": in table.json (the flat layout write_table makes), up
// to the next ',', '}' or ']' (a number) or the closing quote (a string).
std::string json_raw(const std::string& json, const std::string& key, const std::string& file) {
  const std::string quoted = "\"" + key + "\"";
  for (std::size_t at = json.find(quoted); at != std::string::npos; at = json.find(quoted, at + 1)) {
    std::size_t k = at + quoted.size();
    while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
    if (k >= json.size() || json[k] != ':') continue;
    ++k;
    while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
    if (k < json.size() && json[k] == '"') {
      const auto end = json.find('"', k + 1);
      if (end == std::string::npos) break;
      return json.substr(k, end - k + 1);
    }
    const auto end = json.find_first_of(",}]\n", k);
    std::string v = json.substr(k, end == std::string::npos ? std::string::npos : end - k);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    return v;
  }
  refuse(file + ": missing key \"" + key + "\"");
}

std::string shown_value(const std::string& v) { return v.size() > 40 ? v.substr(0, 40) + "..." : v; }

double json_number(const std::string& json, const std::string& key, const std::string& file) {
  const std::string v = json_raw(json, key, file);
  char* end = nullptr;
  const double x = v.empty() || v.find_first_not_of("0123456789+-.eE") != std::string::npos ? 0.0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x))
    refuse(file + ": " + key + " = " + shown_value(v) + ": expected a finite number");
  return x;
}
// An integer field within [lo, hi].
long long json_integer(const std::string& json, const std::string& key, const std::string& file, long long lo, long long hi) {
  const double x = json_number(json, key, file);
  if (x != std::floor(x) || x < static_cast<double>(lo) || x > static_cast<double>(hi))
    refuse(cat(file, ": ", key, " = ", json_raw(json, key, file), ": expected an integer in [", lo, ", ", hi, "]"));
  return static_cast<long long>(x);
}
std::string json_text(const std::string& json, const std::string& key, const std::string& file) {
  const std::string v = json_raw(json, key, file);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"')
    refuse(file + ": " + key + " = " + shown_value(v) + ": expected a string");
  return v.substr(1, v.size() - 2);
}

// A decimal integer field of a table file within [lo, hi].
bool parse_integer(const std::string& text, long long lo, long long hi, long long& out) {
  if (text.empty() || text.size() > 20) return false;
  std::size_t k = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (k == text.size() || text.find_first_not_of("0123456789", k) != std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || v < lo || v > hi) return false;
  out = v;
  return true;
}

constexpr long long i32_lo = -2147483648LL, i32_hi = 2147483647LL;

// The members write_table writes itself (a record may not repeat them).
const char* const own_members[] = {"format_version", "state_variables", "grid", "formats", "fluct_rho_raw",
                                   "fluct_kick_raw", "fluct_rho", "fluct_tau_steps", "checksum"};

}  // namespace

const char* to_string(table_format f) noexcept {
  switch (f) {
    case table_format::csv: return "csv";
    case table_format::header: return "header";
    case table_format::hex: return "hex";
  }
  return "?";
}

table_format parse_table_format(const std::string& name) {
  if (name == "csv") return table_format::csv;
  if (name == "header" || name == "h") return table_format::header;
  if (name == "hex") return table_format::hex;
  refuse("table format '" + shown_value(name) + "': expected csv, header or hex");
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
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

namespace {

// The numbers of table.json the commands use, with the values a calibration
// can write: an edit outside them (table.json is not under the table's
// checksum) would reach a cast to int or a square root unchecked.
struct metadata_range {
  const char* key;
  double lo, hi;
  bool lo_open, whole;
  const char* what;
};
constexpr metadata_range metadata_ranges[] = {
    {"dt_m_s", 1e-9, 1e3, false, false, "a model step in [1e-9, 1000] s (the calibrations' range)"},
    {"s_eq", 0, 1, false, false, "a state in [0, 1]"},
    {"device_rails", 0, 1e6, false, true, "a whole number of rails in [0, 1e6] (0: a table of measured pulses)"},
    {"initial_variance", 0, 0.25, false, false, "a variance of a state in [0, 1]: [0, 0.25]"},
    {"initial_slow_variance", 0, 0.25, false, false, "a variance of a state in [0, 1]: [0, 0.25]"},
};

double checked_metadata(const std::string& text, const std::string& key, const std::string& file) {
  const double v = json_number(text, key, file);
  check_table_metadata(key, v, file);
  return v;
}

// Each of the numbers the commands use that TEXT (table.json, or the
// members a writer adds to it) records, in its range.
void check_recorded_metadata(const std::string& text, const std::string& where) {
  for (const auto& r : metadata_ranges)
    if (text.find(cat("\"", r.key, "\"")) != std::string::npos) checked_metadata(text, r.key, where);
}

}  // namespace

const std::vector<std::string>& table_metadata_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& r : metadata_ranges) k.emplace_back(r.key);
    return k;
  }();
  return keys;
}

void check_table_metadata(const std::string& key, double v, const std::string& where) {
  for (const auto& r : metadata_ranges)
    if (key == r.key) {
      if (!(std::isfinite(v) && (r.lo_open ? v > r.lo : v >= r.lo) && v <= r.hi && (!r.whole || v == std::floor(v))))
        throw input_error(cat(where, ": ", key, " = ", g9(v), ": expected ", r.what));
      return;
    }
  throw input_error(cat(where, ": ", key, ": not a table metadata key (expected one of dt_m_s, s_eq, device_rails, "
                               "initial_variance, initial_slow_variance)"));
}

double table_metadata(const std::string& dir, const std::string& key) {
  const std::string file = (fs::path(dir) / "table.json").string();
  return checked_metadata(read_table_json(file), key, file);
}

model::table load_table_consistent(const std::string& dir) {
  const model::table hex = load_table(dir, table_format::hex);
  auto same = [](const model::table& a, const model::table& b) {
    auto entries = [](const auto& x, const auto& y) {
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i].raw() != y[i].raw()) return false;
      return true;
    };
    return a.grid == b.grid && a.fluct_rho.raw() == b.fluct_rho.raw() && a.fluct_kick.raw() == b.fluct_kick.raw() &&
           entries(a.drift, b.drift) && entries(a.noise, b.noise) && entries(a.fluct, b.fluct) && entries(a.g, b.g);
  };
  for (const table_format f : {table_format::csv, table_format::header})
    if (!same(hex, load_table(dir, f)))
      throw input_error((fs::path(dir) / (f == table_format::csv ? "table.csv" : "table.h")).string() +
                        ": holds another table than the hex files (table.hex …): the directory was edited or "
                        "half-written; calibrate it again");
  const std::string json = (fs::path(dir) / "table.json").string();
  const std::string text = read_table_json(json);
  // Where recorded (a table written by hand for the known-answer tests has
  // none; a command that needs one asks table_metadata, which names it).
  check_recorded_metadata(text, json);
  return hex;
}

model::table table_from_arrays(const model::table_grid& grid, const std::vector<double>& drift,
                               const std::vector<double>& noise, const std::vector<double>& fluct,
                               const std::vector<double>& g_siemens, double fluct_rho) {
  const model::table_status gs = model::check_grid(grid);
  if (gs != model::table_status::ok)
    refuse(cat("table_from_arrays: grid n_s = ", grid.n_s, ", n_v = ", grid.n_v, ", s_log2_step = ", grid.s_log2_step,
               ", v_log2_step = ", grid.v_log2_step, ": ", model::describe(gs)));
  const std::size_t cells = grid.cells();
  // Within the fixed-point formats: a value past them would be saturated
  // without a word (a drift of 5 per step stored as 2).
  auto check = [&](const char* name, const std::vector<double>& v, std::size_t want, bool non_negative, double max) {
    if (v.size() != want) refuse(cat("table_from_arrays: ", name, " has ", v.size(), " values, the grid needs ", want));
    for (std::size_t k = 0; k < v.size(); ++k)
      if (!std::isfinite(v[k]) || (non_negative && v[k] < 0) || std::fabs(v[k]) > max)
        refuse(cat("table_from_arrays: ", name, "[", k, "] = ", v[k], ": expected a finite number in [",
                   non_negative ? "0" : g9(-max), ", ", g9(max), "] (the table's fixed-point format)"));
  };
  const double delta_max = model::q_delta::max().to_double();
  check("drift", drift, cells, false, delta_max);
  check("noise", noise, cells, true, delta_max);
  check("fluct", fluct, cells, true, delta_max);
  check("g_siemens", g_siemens, static_cast<std::size_t>(grid.n_s), true,
        model::q_cond::max().to_double() * model::cond_unit_siemens);
  if (!(fluct_rho >= 0 && fluct_rho <= 1)) refuse(cat("table_from_arrays: fluct_rho = ", fluct_rho, ": expected [0, 1]"));
  model::table t(grid);
  for (std::size_t k = 0; k < cells; ++k) {
    t.drift[k] = model::q_delta::from_double(drift[k]);
    t.noise[k] = model::q_delta::from_double(noise[k]);
    t.fluct[k] = model::q_delta::from_double(fluct[k]);
  }
  for (std::size_t i = 0; i < g_siemens.size(); ++i)
    t.g[i] = model::q_cond::from_double(g_siemens[i] / model::cond_unit_siemens);
  t.set_fluct_rho(fluct_rho);
  return t;
}

void write_table(const std::string& dir_name, const model::table& tab, const table_record& record) {
  const fs::path dir(dir_name);
  const model::table_status status = tab.check();
  if (status != model::table_status::ok) refuse(dir_name + ": cannot write this table: " + model::describe(status));
  const auto& g = tab.grid;
  const std::size_t cells = g.cells();
  if (!record.samples.empty() && record.samples.size() != cells)
    refuse(cat(dir_name, ": table_record.samples has ", record.samples.size(), " values, the grid has ", cells, " bins"));
  if (!record.visited.empty() && record.visited.size() != cells)
    refuse(cat(dir_name, ": table_record.visited has ", record.visited.size(), " values, the grid has ", cells, " bins"));
  if (record.state_variables != 1 && record.state_variables != 2)
    refuse(cat(dir_name, ": table_record.state_variables = ", record.state_variables, ": expected 1 or 2"));
  std::string members;
  for (const auto& [name, value] : record.json_members) {
    for (const char* own : own_members)
      if (name == own) refuse(dir_name + ": table_record.json_members names \"" + name + "\", which write_table writes itself");
    members += ",\n  " + json_quote(name) + ": " + value;
  }
  // Never a table.json that load_table_consistent would refuse: the numbers
  // the commands read are in range wherever the record puts them.
  check_recorded_metadata(members, dir_name + ": table_record.json_members");
  fs::create_directories(dir);
  const std::uint64_t checksum = tab.checksum();
  {
    std::string out = "i_s,i_v,s,v_v,drift,noise,fluct,g_s,drift_raw,noise_raw,fluct_raw,g_raw,samples,visited\n";
    for (int i = 0; i < g.n_s; ++i)
      for (int j = 0; j < g.n_v; ++j) {
        const auto k = tab.index(i, j);
        out += cat(i, ',', j, ',', g9(g.s_at(i)), ',', g9(g.v_at(j)), ',', g9(tab.drift[k].to_double()), ',',
                   g9(tab.noise[k].to_double()), ',', g9(tab.fluct[k].to_double()), ',',
                   g9(tab.g[static_cast<std::size_t>(i)].to_double() * model::cond_unit_siemens), ',', tab.drift[k].raw(),
                   ',', tab.noise[k].raw(), ',', tab.fluct[k].raw(), ',', tab.g[static_cast<std::size_t>(i)].raw(), ',',
                   record.samples.empty() ? 0LL : record.samples[k], ',', record.visited.empty() ? 1 : record.visited[k],
                   '\n');
      }
    write_file_atomic(dir / "table.csv", out);
  }
  auto hex = [&](const char* name, auto const& values) {
    std::string out;
    char word[16];
    for (const auto& v : values) {
      std::snprintf(word, sizeof word, "%08x\n", static_cast<unsigned>(static_cast<std::uint32_t>(v.raw())));
      out += word;
    }
    write_file_atomic(dir / name, out);
  };
  hex("table.hex", tab.drift);
  hex("table_noise.hex", tab.noise);
  hex("table_fluct.hex", tab.fluct);
  hex("table_g.hex", tab.g);
  hex("table_coeff.hex", std::vector<model::q_coeff>{tab.fluct_rho, tab.fluct_kick});
  const std::string defines =
      cat("IONRAIL_TABLE_FORMAT_VERSION ", model::table_format_version, "\n", "IONRAIL_TABLE_N_S ", g.n_s, "\n",
          "IONRAIL_TABLE_N_V ", g.n_v, "\n", "IONRAIL_TABLE_S_LOG2_STEP ", g.s_log2_step, "\n",
          "IONRAIL_TABLE_V_LOG2_STEP ", g.v_log2_step, "\n", "IONRAIL_TABLE_FLUCT_RHO ", tab.fluct_rho.raw(), "\n",
          "IONRAIL_TABLE_FLUCT_KICK ", tab.fluct_kick.raw(), "\n");
  auto prefixed = [](const std::string& lines, const char* prefix) {
    std::string out;
    std::istringstream in(lines);
    for (std::string line; std::getline(in, line);) out += prefix + line + "\n";
    return out;
  };
  {
    std::string out = cat("// Generated by ionrail (model_io::write_table): the compact model's response table (format version ",
                          model::table_format_version, ").\n",
                          "// Q formats: drift, noise, fluct Q1.30 state units (per model step); g Q11.20 microsiemens;\n"
                          "// fluct_rho, fluct_kick Q1.30.\n"
                          "#pragma once\n#include <stdint.h>\n\n");
    out += prefixed(defines, "#define ");
    out += "#define IONRAIL_TABLE_CHECKSUM 0x" + hex16(checksum) + "ull\n\n";
    auto array = [&](const char* name, auto const& values) {
      out += cat("static const int32_t ", name, "[", values.size(), "] = {\n");
      for (std::size_t k = 0; k < values.size(); ++k) out += cat(values[k].raw(), (k + 1) % 8 == 0 ? ",\n" : ", ");
      out += "};\n\n";
    };
    array("ionrail_table_drift", tab.drift);
    array("ionrail_table_noise", tab.noise);
    array("ionrail_table_fluct", tab.fluct);
    array("ionrail_table_g", tab.g);
    write_file_atomic(dir / "table.h", out);
  }
  {
    // Verilog defines of the grid for the RTL (verilog_tb/rtl, docs/rtl.md):
    // the ROM sizes and index shifts come from here, the checksum lets the
    // ROM check that the hex files it loaded are this table.
    std::string out = cat("// Generated by ionrail (model_io::write_table): grid of the compact model's response table (format "
                          "version ", model::table_format_version, ")\n",
                          "// for the RTL; the entries are in table.hex, table_noise.hex, table_fluct.hex, table_g.hex and\n"
                          "// table_coeff.hex next to this file (docs/rtl.md).\n"
                          "`ifndef IONRAIL_TABLE_VH\n`define IONRAIL_TABLE_VH\n");
    out += prefixed(defines, "`define ");
    out += "`define IONRAIL_TABLE_CHECKSUM 64'h" + hex16(checksum) + "\n`endif\n";
    write_file_atomic(dir / "table.vh", out);
  }
  {
    const double rho = tab.fluct_rho.to_double();
    char tau[40];
    std::snprintf(tau, sizeof tau, "%.6g", rho > 0 && rho < 1 ? -1.0 / std::log(rho) : 0.0);
    std::string out = cat(
        "{\n  \"format_version\": ", model::table_format_version, ",\n  \"state_variables\": ", record.state_variables,
        ",\n  \"grid\": {\"n_s\": ", g.n_s, ", \"n_v\": ", g.n_v, ", \"s_log2_step\": ", g.s_log2_step,
        ", \"v_log2_step\": ", g.v_log2_step, ", \"s_step\": ", g9(std::ldexp(1.0, -g.s_log2_step)),
        ", \"v_step_v\": ", g9(g.v_at(1) - g.v_at(0)), ", \"v_min_v\": ", g.v_at(0), ", \"v_max_v\": ", g.v_at(g.n_v - 1),
        "},\n",
        "  \"formats\": {\"state\": \"Q1.30 int32\", \"fluct\": \"Q1.30 int32\", \"voltage\": \"Q4.11 int16 (V)\", "
        "\"drift_noise_fluct\": \"Q1.30 int32 (per model step)\", \"g\": \"Q11.20 int32 (microsiemens)\", "
        "\"coefficients\": \"Q1.30 int32\"},\n",
        "  \"fluct_rho_raw\": ", tab.fluct_rho.raw(), ", \"fluct_kick_raw\": ", tab.fluct_kick.raw(),
        ", \"fluct_rho\": ", g9(rho), ", \"fluct_tau_steps\": ", tau, ",\n", "  \"checksum\": \"", hex16(checksum), "\"");
    out += members + "\n}\n";
    // Last, and whole or not at all: a directory with table.json is complete.
    write_file_atomic(dir / "table.json", out);
  }
}

model::table load_table(const std::string& dir_name, table_format format) {
  const fs::path dir(dir_name);
  const std::string meta_file = (dir / "table.json").string();
  const std::string meta = read_table_json(meta_file);
  const long long version = json_integer(meta, "format_version", meta_file, -1000000, 1000000);
  if (version != model::table_format_version)
    refuse(cat(meta_file, ": format_version = ", version, ": this build reads version ", model::table_format_version));
  model::table_grid grid{};
  grid.n_s = static_cast<std::int32_t>(json_integer(meta, "n_s", meta_file, 0, 1 << 20));
  grid.n_v = static_cast<std::int32_t>(json_integer(meta, "n_v", meta_file, 0, 1 << 20));
  grid.s_log2_step = static_cast<std::int32_t>(json_integer(meta, "s_log2_step", meta_file, -64, 64));
  grid.v_log2_step = static_cast<std::int32_t>(json_integer(meta, "v_log2_step", meta_file, -64, 64));
  if (model::check_grid(grid) != model::table_status::ok)
    refuse(cat(meta_file, ": grid n_s = ", grid.n_s, ", n_v = ", grid.n_v, ", s_log2_step = ", grid.s_log2_step,
               ", v_log2_step = ", grid.v_log2_step, ": ", model::describe(model::check_grid(grid))));
  const std::string checksum_text = json_text(meta, "checksum", meta_file);
  if (checksum_text.size() != 16 || checksum_text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    refuse(meta_file + ": checksum = \"" + shown_value(checksum_text) + "\": expected 16 hex digits");
  const std::uint64_t checksum = std::strtoull(checksum_text.c_str(), nullptr, 16);
  // Nothing is allocated for a grid the files cannot hold (a corrupted
  // table.json could ask for 2^28 cells): each value takes at least 2 bytes
  // (a CSV row at least 28).
  {
    const char* first = format == table_format::csv ? "table.csv" : format == table_format::hex ? "table.hex" : "table.h";
    std::error_code ec;
    const auto size = fs::file_size(dir / first, ec);
    const double need = static_cast<double>(grid.cells()) * (format == table_format::csv ? 28 : 2);
    if (!ec && static_cast<double>(size) < need)
      refuse(cat((dir / first).string(), ": ", size, " bytes cannot hold the ", grid.cells(),
                 " entries of the grid in table.json (n_s = ", grid.n_s, ", n_v = ", grid.n_v, ")"));
  }
  model::table t(grid);
  auto coeff = [&](double raw, const std::string& file, const char* key) {
    if (!(raw >= 0 && raw <= model::coeff_one_raw))
      refuse(cat(file, ": ", key, " = ", raw, " outside [0, ", model::coeff_one_raw, "] (Q1.30 in [0, 1])"));
    return model::q_coeff::from_raw(static_cast<std::int32_t>(raw));
  };
  const std::size_t cells = grid.cells();
  std::string source;
  auto fail_size = [&](const std::string& file, const std::string& got, std::size_t want) {
    refuse(cat(file, ": ", got, " values, the grid in table.json needs ", want, " (n_s = ", grid.n_s, ", n_v = ", grid.n_v, ")"));
  };
  if (format == table_format::csv) {
    source = (dir / "table.csv").string();
    std::istringstream in(read_file(source));
    static const char* const columns[] = {"i_s",       "i_v",       "s",         "v_v",    "drift",   "noise",   "fluct",
                                          "g_s",       "drift_raw", "noise_raw", "fluct_raw", "g_raw", "samples", "visited"};
    static const std::string header =
        "i_s,i_v,s,v_v,drift,noise,fluct,g_s,drift_raw,noise_raw,fluct_raw,g_raw,samples,visited";
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line != header) refuse(cat(source, ":1: header '", shown_value(line), "': expected '", header, "'"));
    std::size_t rows = 0;
    long long number = 1;
    std::vector<char> seen(cells, 0);
    // g is one value per state, repeated on each of its rows: the first row
    // of a state sets it, every other row must repeat it.
    std::vector<long long> g_line(static_cast<std::size_t>(grid.n_s), 0);
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
      if (!line.empty() && line.back() == ',') f.emplace_back();
      if (f.size() != 14) refuse(cat(source, ":", number, ": ", f.size(), " columns, expected 14 (i_s,i_v,...,visited)"));
      auto at = [&](int col) {
        return cat(source, ":", number, ": ", columns[col], " = '", shown_value(f[static_cast<std::size_t>(col)]), "': ");
      };
      auto field = [&](int col, long long lo, long long hi) {
        long long v = 0;
        if (!parse_integer(f[static_cast<std::size_t>(col)], lo, hi, v))
          refuse(cat(at(col), "expected an integer in [", lo, ", ", hi, "]"));
        return v;
      };
      // A decoded column must be the value the writer printed (%.9g) for
      // what the row's indices or raw words say: both are compared after
      // rounding to the 9 significant digits the writer prints.
      auto decoded = [&](int col, double want, const std::string& of) {
        const std::string& text = f[static_cast<std::size_t>(col)];
        double x = 0;
        char* end = nullptr;
        if (!text.empty() && text.find_first_not_of("0123456789+-.eE") == std::string::npos)
          x = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || text.empty() || !std::isfinite(x))
          refuse(cat(at(col), "expected a decimal number (", g9(want), ", ", of, ")"));
        if (std::strtod(g9(x).c_str(), nullptr) != std::strtod(g9(want).c_str(), nullptr))
          refuse(cat(at(col), "expected ", g9(want), " (", of, ", to 9 significant digits)"));
      };
      const int i = static_cast<int>(field(0, 0, grid.n_s - 1)), j = static_cast<int>(field(1, 0, grid.n_v - 1));
      if (seen[t.index(i, j)]++) refuse(cat(source, ":", number, ": bin (i_s, i_v) = (", i, ", ", j, ") appears twice"));
      decoded(2, grid.s_at(i), cat("the state of i_s = ", i));
      decoded(3, grid.v_at(j), cat("the voltage of i_v = ", j));
      const auto drift = model::q_delta::from_raw(static_cast<std::int32_t>(field(8, i32_lo, i32_hi)));
      const auto noise = model::q_delta::from_raw(static_cast<std::int32_t>(field(9, i32_lo, i32_hi)));
      const auto fluct = model::q_delta::from_raw(static_cast<std::int32_t>(field(10, i32_lo, i32_hi)));
      const auto g_raw = static_cast<std::int32_t>(field(11, i32_lo, i32_hi));
      decoded(4, drift.to_double(), "drift_raw in Q1.30");
      decoded(5, noise.to_double(), "noise_raw in Q1.30");
      decoded(6, fluct.to_double(), "fluct_raw in Q1.30");
      decoded(7, model::q_cond::from_raw(g_raw).to_double() * model::cond_unit_siemens,
              "g_raw in Q11.20 microsiemens, in siemens");
      (void)field(12, 0, std::numeric_limits<long long>::max());
      (void)field(13, 0, 1);
      auto& g = t.g[static_cast<std::size_t>(i)];
      auto& first = g_line[static_cast<std::size_t>(i)];
      if (first == 0) {
        g = model::q_cond::from_raw(g_raw);
        first = number;
      } else if (g.raw() != g_raw) {
        refuse(cat(at(11), "expected ", g.raw(), ", the g_raw of state i_s = ", i, " on line ", first,
                   " (g is one value per state)"));
      }
      t.drift_at(i, j) = drift;
      t.noise_at(i, j) = noise;
      t.fluct_at(i, j) = fluct;
      ++rows;
    }
    if (rows != cells) fail_size(source, std::to_string(rows), cells);
    t.fluct_rho = coeff(json_number(meta, "fluct_rho_raw", meta_file), meta_file, "fluct_rho_raw");
    t.fluct_kick = coeff(json_number(meta, "fluct_kick_raw", meta_file), meta_file, "fluct_kick_raw");
  } else if (format == table_format::hex) {
    // One 32-bit word per line, 1 to 8 hex digits, as $readmemh reads them.
    auto read_hex = [&](const char* name, auto& values, std::size_t want) {
      const std::string file = (dir / name).string();
      std::istringstream in(read_file(file));
      std::size_t n = 0;
      long long number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto b = line.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        const auto e = line.find_last_not_of(" \t");
        const std::string word = line.substr(b, e - b + 1);
        if (word.size() > 8 || word.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          refuse(cat(file, ":", number, ": '", shown_value(word), "': expected one 32-bit word of 1 to 8 hex digits"));
        if (n >= want) fail_size(file, "more than " + std::to_string(want), want);
        using value = typename std::decay_t<decltype(values)>::value_type;
        values[n++] = value::from_raw(static_cast<std::int32_t>(static_cast<std::uint32_t>(std::strtoul(word.c_str(), nullptr, 16))));
      }
      if (n != want) fail_size(file, std::to_string(n), want);
    };
    read_hex("table.hex", t.drift, cells);
    read_hex("table_noise.hex", t.noise, cells);
    read_hex("table_fluct.hex", t.fluct, cells);
    read_hex("table_g.hex", t.g, static_cast<std::size_t>(grid.n_s));
    std::vector<model::q_coeff> c(2);
    read_hex("table_coeff.hex", c, 2);
    const std::string coeff_file = (dir / "table_coeff.hex").string();
    t.fluct_rho = coeff(c[0].raw(), coeff_file, "fluct_rho (word 0)");
    t.fluct_kick = coeff(c[1].raw(), coeff_file, "fluct_kick (word 1)");
    source = (dir / "table.hex").string();
  } else {
    source = (dir / "table.h").string();
    const std::string text = read_file(source);
    auto read_array = [&](const std::string& name, auto& values, std::size_t want) {
      const auto start = text.find(name + "[");
      const auto open = start == std::string::npos ? start : text.find('{', start);
      const auto close = open == std::string::npos ? open : text.find('}', open);
      if (start == std::string::npos || open == std::string::npos || close == std::string::npos)
        refuse(source + ": array " + name + " not found");
      std::string body = text.substr(open + 1, close - open - 1);
      std::replace(body.begin(), body.end(), ',', ' ');
      std::istringstream in(body);
      std::size_t n = 0;
      using value = typename std::decay_t<decltype(values)>::value_type;
      for (std::string word; in >> word;) {
        long long raw = 0;
        if (!parse_integer(word, i32_lo, i32_hi, raw))
          refuse(cat(source, ": ", name, "[", n, "] = '", shown_value(word), "': expected an integer in [", i32_lo, ", ",
                     i32_hi, "]"));
        if (n >= want) fail_size(source + " " + name, "more than " + std::to_string(want), want);
        values[n++] = value::from_raw(static_cast<std::int32_t>(raw));
      }
      if (n != want) fail_size(source + " " + name, std::to_string(n), want);
    };
    read_array("ionrail_table_drift", t.drift, cells);
    read_array("ionrail_table_noise", t.noise, cells);
    read_array("ionrail_table_fluct", t.fluct, cells);
    read_array("ionrail_table_g", t.g, static_cast<std::size_t>(grid.n_s));
    auto define = [&](const std::string& name) {
      const std::string tag = "#define " + name + " ";
      const auto at = text.find(tag);
      if (at == std::string::npos) refuse(source + ": #define " + name + " not found");
      const auto end = text.find_first_of(" \t\r\n", at + tag.size());
      const std::string word = text.substr(at + tag.size(), end == std::string::npos ? end : end - at - tag.size());
      long long raw = 0;
      if (!parse_integer(word, i32_lo, i32_hi, raw))
        refuse(cat(source, ": #define ", name, " ", shown_value(word), ": expected an integer"));
      return coeff(static_cast<double>(raw), source, name.c_str());
    };
    t.fluct_rho = define("IONRAIL_TABLE_FLUCT_RHO");
    t.fluct_kick = define("IONRAIL_TABLE_FLUCT_KICK");
  }
  if (t.checksum() != checksum)
    refuse(cat(source, ": checksum ", hex16(t.checksum()), " does not match table.json's ", hex16(checksum),
               ": the table is corrupted or from another calibration"));
  // A table whose checksum matches can still hold what no calibration
  // writes (a hand-edited file, re-summed): the model's step assumes
  // check_table, so every command, the Python loader and the benches that
  // read through here refuse it, as SystemC and the exporters do.
  if (const model::table_status status = t.check(); status != model::table_status::ok) {
    const auto first_negative = [&](const auto& v, const char* what) -> std::string {
      for (std::size_t k = 0; k < v.size(); ++k)
        if (v[k].raw() < 0)
          return cat(what, "[", k, "] = ", v[k].to_double(), v.size() == cells ? cat(" (i_s ", k / static_cast<std::size_t>(grid.n_v),
                                                                                  ", i_v ", k % static_cast<std::size_t>(grid.n_v), ")")
                                                                              : std::string());
      return {};
    };
    std::string where = first_negative(t.noise, "noise");
    if (where.empty()) where = first_negative(t.fluct, "fluct");
    if (where.empty()) where = first_negative(t.g, "g");
    refuse(cat(source, ": ", model::describe(status), where.empty() ? std::string() : cat(": ", where),
               "; a calibrated table never holds one"));
  }
  return t;
}

}  // namespace ionrail::model_io
