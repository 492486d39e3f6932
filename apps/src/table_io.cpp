#include <ionrail/app/table_io.hpp>

#include <fmt/format.h>
#include <fmt/os.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <ionrail/app/checkpoint.hpp>
#include <ionrail/app/config.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {
namespace {

// The grid of the model that matches the bins: s spacing 2^-k, V spacing 2^m LSB.
model::table_grid grid_of(const transition_bins& b) {
  const int k = static_cast<int>(std::lround(-std::log2(b.ds)));
  const int m = static_cast<int>(std::lround(std::log2(b.dv / model::q_volt::lsb)));
  return model::table_grid::make(k, m, (b.n_v - 1) / 2);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw config_error(p.string() + ": cannot open table file");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// The text after "key": in table.json (our own flat writer), up to the next
// ',', '}' or ']' (a number) or the closing quote (a string).
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
  throw config_error(file + ": missing key \"" + key + "\"");
}

std::string shown_value(const std::string& v) { return v.size() > 40 ? v.substr(0, 40) + "..." : v; }

double json_number(const std::string& json, const std::string& key, const std::string& file) {
  const std::string v = json_raw(json, key, file);
  char* end = nullptr;
  const double x = v.empty() || v.find_first_not_of("0123456789+-.eE") != std::string::npos ? 0.0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x))
    throw config_error(file + ": " + key + " = " + shown_value(v) + ": expected a finite number");
  return x;
}
// An integer field within [lo, hi].
long long json_integer(const std::string& json, const std::string& key, const std::string& file, long long lo, long long hi) {
  const double x = json_number(json, key, file);
  if (x != std::floor(x) || x < static_cast<double>(lo) || x > static_cast<double>(hi))
    throw config_error(fmt::format("{}: {} = {}: expected an integer in [{}, {}]", file, key, json_raw(json, key, file), lo, hi));
  return static_cast<long long>(x);
}
std::string json_text(const std::string& json, const std::string& key, const std::string& file) {
  const std::string v = json_raw(json, key, file);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"')
    throw config_error(file + ": " + key + " = " + shown_value(v) + ": expected a string");
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

}  // namespace

double table_metadata(const std::string& dir, const std::string& key) {
  const std::string file = (fs::path(dir) / "table.json").string();
  return json_number(read_file(file), key, file);
}

table_build build_table(const transition_bins& bins, const kmc::readout_params& readout, double s_eq,
                        double equilibrium_variance, int min_samples, int state_variables) {
  table_build out;
  out.min_samples = min_samples;
  out.state_variables = state_variables;
  out.equilibrium_variance = equilibrium_variance;
  const model::table_grid grid = grid_of(bins);
  if (model::check_grid(grid) != model::table_status::ok)
    throw config_error(std::string("calibration grid: ") + model::describe(model::check_grid(grid)));
  const int ns = bins.n_s, nv = bins.n_v;
  std::vector<double> drift(bins.count.size(), 0.0), noise(bins.count.size(), 0.0);
  out.samples = bins.count;
  out.visited.assign(bins.count.size(), 0);
  std::vector<int> noise_seen(bins.count.size(), 0), fluct_seen(bins.count.size(), 0);
  std::vector<double> fluct(bins.count.size(), 0.0);
  // The fast fluctuation's mean reversion is taken out of the drift (see
  // transition_bins); with one state variable there is no δ and nothing to
  // take out.
  const double reversion = state_variables == 1 ? 0.0 : 1.0 - std::clamp(bins.fluct_rho(), 0.0, 1.0);
  for (std::size_t k = 0; k < bins.count.size(); ++k) {
    if (bins.fluct_count[k] >= min_samples) {
      fluct[k] = std::sqrt(bins.fluct_sum[k] / static_cast<double>(bins.fluct_count[k]));
      fluct_seen[k] = 1;
    }
    if (bins.count[k] >= min_samples) {
      drift[k] = (bins.sum[k] + reversion * bins.dev_sum[k]) / static_cast<double>(bins.count[k]);
      out.visited[k] = 1;
    }
    if (bins.noise_count[k] >= min_samples) {
      noise[k] = std::sqrt(bins.noise_sum[k] / static_cast<double>(bins.noise_count[k]));
      noise_seen[k] = 1;
    }
  }
  if (std::none_of(out.visited.begin(), out.visited.end(), [](int v) { return v != 0; }))
    throw config_error("calibration: no (state, V) bin received enough transitions; run longer");
  // Fill rule, for drift and noise alike: nearest visited state at the same V
  // (lower state first on a tie), then, for voltages never visited, the
  // nearest voltage column that was.
  // For the drift, a filled bin beyond the states the KMC visited at that
  // voltage never points further out of them (an outward drift is set to
  // zero): the KMC never went there under that voltage, so the model must not
  // be driven there either (copying the drift of the last visited state, still
  // on its way to the steady state, would run away past it).
  auto fill = [&](std::vector<double>& values, const std::vector<int>& seen, bool drift_rule) {
    std::vector<int> done = seen;
    for (int j = 0; j < nv; ++j) {
      int first = ns, last = -1;
      for (int i = 0; i < ns; ++i)
        if (seen[bins.index(i, j)]) first = std::min(first, i), last = std::max(last, i);
      for (int i = 0; i < ns; ++i) {
        if (seen[bins.index(i, j)]) continue;
        for (int d = 1; d < ns; ++d) {
          const int lo = i - d, hi = i + d;
          const int src = lo >= 0 && seen[bins.index(lo, j)] ? lo : (hi < ns && seen[bins.index(hi, j)] ? hi : -1);
          if (src < 0) continue;
          double v = values[bins.index(src, j)];
          if (drift_rule && i > last) v = std::min(v, 0.0);
          if (drift_rule && i < first) v = std::max(v, 0.0);
          values[bins.index(i, j)] = v;
          done[bins.index(i, j)] = 1;
          break;
        }
      }
    }
    for (int j = 0; j < nv; ++j) {
      if (done[bins.index(0, j)]) continue;
      for (int d = 1; d < nv; ++d) {
        const int lo = j - d, hi = j + d;
        const int src = lo >= 0 && done[bins.index(0, lo)] ? lo : (hi < nv && done[bins.index(0, hi)] ? hi : -1);
        if (src < 0) continue;
        for (int i = 0; i < ns; ++i) values[bins.index(i, j)] = values[bins.index(i, src)];
        break;
      }
    }
  };
  fill(drift, out.visited, true);
  fill(noise, noise_seen, false);
  fill(fluct, fluct_seen, false);
  if (state_variables == 1) std::fill(fluct.begin(), fluct.end(), 0.0);
  // The slow state's noise is what accumulates: the lagged variance per step
  // less the fast fluctuation's share of it, never below zero.
  out.fluct_rho = state_variables == 1 ? 0.0 : std::clamp(bins.fluct_rho(), 0.0, 1.0);
  const double lag = bins.lag_steps;
  const double fast_share = 2 * (1 - std::pow(out.fluct_rho, lag)) / lag;
  for (std::size_t k = 0; k < noise.size(); ++k)
    noise[k] = std::sqrt(std::max(0.0, noise[k] * noise[k] - fast_share * fluct[k] * fluct[k]));

  // Diagnostics: the restoring rate at rest and the stationary variance the
  // model's noise implies there (σ² / (1 − (1 − k)²)), next to the KMC's.
  const int j0 = (nv - 1) / 2;
  const int i0 = std::clamp(static_cast<int>(std::lround(s_eq / bins.ds)), 1, ns - 2);
  out.restoring_per_step = -(drift[bins.index(i0 + 1, j0)] - drift[bins.index(i0 - 1, j0)]) / (2 * bins.ds);
  const double k = std::clamp(out.restoring_per_step, 1e-9, 1.0);
  out.model_equilibrium_variance = noise[bins.index(i0, j0)] * noise[bins.index(i0, j0)] / (1 - (1 - k) * (1 - k)) +
                                   fluct[bins.index(i0, j0)] * fluct[bins.index(i0, j0)];
  out.noise_scale = 1.0;

  out.table = model::make_table(
      grid,
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return drift[bins.index(i, j)];
      },
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return noise[bins.index(i, j)];
      },
      [&](double s) {
        return readout.conductance(s, s_eq) / model::cond_unit_siemens;
      });
  model::add_fluct(
      out.table,
      [&](double s, double v) {
        const int i = static_cast<int>(std::lround(s / bins.ds)), j = static_cast<int>(std::lround((v - bins.v0) / bins.dv));
        return fluct[bins.index(i, j)];
      },
      out.fluct_rho);
  return out;
}

void write_table(const std::string& dir_name, const table_build& t, const std::string& metadata_json) {
  const fs::path dir(dir_name);
  fs::create_directories(dir);
  const auto& tab = t.table;
  const auto& g = tab.grid;
  const std::uint64_t checksum = tab.checksum();
  {
    auto out = fmt::output_file((dir / "table.csv").string());
    out.print("i_s,i_v,s,v_v,drift,noise,fluct,g_s,drift_raw,noise_raw,fluct_raw,g_raw,samples,visited\n");
    for (int i = 0; i < g.n_s; ++i)
      for (int j = 0; j < g.n_v; ++j) {
        const auto k = tab.index(i, j);
        out.print("{},{},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{},{},{},{},{},{}\n", i, j, g.s_at(i), g.v_at(j),
                  tab.drift[k].to_double(), tab.noise[k].to_double(), tab.fluct[k].to_double(),
                  tab.g[i].to_double() * model::cond_unit_siemens, tab.drift[k].raw(), tab.noise[k].raw(),
                  tab.fluct[k].raw(), tab.g[i].raw(), t.samples[k], t.visited[k]);
      }
  }
  auto hex = [&](const char* name, auto const& values) {
    auto out = fmt::output_file((dir / name).string());
    for (const auto& v : values) out.print("{:08x}\n", static_cast<std::uint32_t>(v.raw()));
  };
  hex("table.hex", tab.drift);
  hex("table_noise.hex", tab.noise);
  hex("table_fluct.hex", tab.fluct);
  hex("table_g.hex", tab.g);
  hex("table_coeff.hex", std::vector<model::q_coeff>{tab.fluct_rho, tab.fluct_kick});
  {
    auto out = fmt::output_file((dir / "table.h").string());
    out.print("// Generated by `ionrail calibrate`: the compact model's response table (format version {}).\n"
              "// Q formats: drift, noise, fluct Q1.30 state units (per model step); g Q11.20 microsiemens;\n"
              "// fluct_rho, fluct_kick Q1.30.\n"
              "#pragma once\n#include <stdint.h>\n\n",
              model::table_format_version);
    out.print("#define IONRAIL_TABLE_FORMAT_VERSION {}\n#define IONRAIL_TABLE_N_S {}\n#define IONRAIL_TABLE_N_V {}\n"
              "#define IONRAIL_TABLE_S_LOG2_STEP {}\n#define IONRAIL_TABLE_V_LOG2_STEP {}\n"
              "#define IONRAIL_TABLE_FLUCT_RHO {}\n#define IONRAIL_TABLE_FLUCT_KICK {}\n"
              "#define IONRAIL_TABLE_CHECKSUM 0x{:016x}ull\n\n",
              model::table_format_version, g.n_s, g.n_v, g.s_log2_step, g.v_log2_step, tab.fluct_rho.raw(),
              tab.fluct_kick.raw(), checksum);
    auto array = [&](const char* name, auto const& values) {
      out.print("static const int32_t {}[{}] = {{\n", name, values.size());
      for (std::size_t k = 0; k < values.size(); ++k) out.print("{}{}", values[k].raw(), (k + 1) % 8 == 0 ? ",\n" : ", ");
      out.print("}};\n\n");
    };
    array("ionrail_table_drift", tab.drift);
    array("ionrail_table_noise", tab.noise);
    array("ionrail_table_fluct", tab.fluct);
    array("ionrail_table_g", tab.g);
  }
  {
    // Verilog defines of the grid for the RTL (verilog_tb/rtl, docs/rtl.md):
    // the ROM sizes and index shifts come from here, the checksum lets the
    // ROM check that the hex files it loaded are this table.
    auto out = fmt::output_file((dir / "table.vh").string());
    out.print("// Generated by `ionrail calibrate`: grid of the compact model's response table (format version {})\n"
              "// for the RTL; the entries are in table.hex, table_noise.hex, table_fluct.hex, table_g.hex and\n"
              "// table_coeff.hex next to this file (docs/rtl.md).\n"
              "`ifndef IONRAIL_TABLE_VH\n`define IONRAIL_TABLE_VH\n",
              model::table_format_version);
    out.print("`define IONRAIL_TABLE_FORMAT_VERSION {}\n`define IONRAIL_TABLE_N_S {}\n`define IONRAIL_TABLE_N_V {}\n"
              "`define IONRAIL_TABLE_S_LOG2_STEP {}\n`define IONRAIL_TABLE_V_LOG2_STEP {}\n"
              "`define IONRAIL_TABLE_FLUCT_RHO {}\n`define IONRAIL_TABLE_FLUCT_KICK {}\n"
              "`define IONRAIL_TABLE_CHECKSUM 64'h{:016x}\n`endif\n",
              model::table_format_version, g.n_s, g.n_v, g.s_log2_step, g.v_log2_step, tab.fluct_rho.raw(),
              tab.fluct_kick.raw(), checksum);
  }
  {
    std::ostringstream out;
    out << "{\n  \"format_version\": " << model::table_format_version << ",\n  \"state_variables\": " << t.state_variables
        << ",\n  \"grid\": {\"n_s\": " << g.n_s
        << ", \"n_v\": " << g.n_v << ", \"s_log2_step\": " << g.s_log2_step << ", \"v_log2_step\": " << g.v_log2_step
        << ", \"s_step\": " << fmt::format("{:.9g}", std::ldexp(1.0, -g.s_log2_step))
        << ", \"v_step_v\": " << fmt::format("{:.9g}", g.v_at(1) - g.v_at(0)) << ", \"v_min_v\": " << g.v_at(0)
        << ", \"v_max_v\": " << g.v_at(g.n_v - 1) << "},\n"
        << "  \"formats\": {\"state\": \"Q1.30 int32\", \"fluct\": \"Q1.30 int32\", \"voltage\": \"Q4.11 int16 (V)\", "
           "\"drift_noise_fluct\": \"Q1.30 int32 (per model step)\", \"g\": \"Q11.20 int32 (microsiemens)\", "
           "\"coefficients\": \"Q1.30 int32\"},\n"
        << "  \"fluct_rho_raw\": " << tab.fluct_rho.raw() << ", \"fluct_kick_raw\": " << tab.fluct_kick.raw()
        << ", \"fluct_rho\": " << fmt::format("{:.9g}", tab.fluct_rho.to_double())
        << ", \"fluct_tau_steps\": " << fmt::format("{:.6g}", t.fluct_rho > 0 && t.fluct_rho < 1 ? -1.0 / std::log(t.fluct_rho) : 0.0)
        << ",\n"
        << "  \"checksum\": \"" << fmt::format("{:016x}", checksum) << "\",\n"
        << "  \"fill_rule\": \"bins with fewer than " << t.min_samples
        << " transitions take the nearest visited state at the same voltage (lower on a tie), a drift beyond the visited "
           "states never pointing further out (clipped at zero), then the nearest filled voltage\",\n"
        << "  \"noise_rule\": {\"estimator\": \"slow noise: cross-device variance of the state change over the noise lag, "
           "per step, less the fast fluctuation's share 2 fluct^2 (1 - rho^L) / L; fluct: cross-device standard deviation "
           "of the state at (mean state, V); rho: lag-one-step autocorrelation of the device deviations\", "
           "\"equilibrium_variance\": "
        << fmt::format("{:.9g}", t.equilibrium_variance)
        << ", \"model_equilibrium_variance\": " << fmt::format("{:.9g}", t.model_equilibrium_variance)
        << ", \"restoring_per_step\": " << fmt::format("{:.9g}", t.restoring_per_step) << "},\n"
        << "  \"visited_bins\": " << std::count(t.visited.begin(), t.visited.end(), 1) << ",\n"
        << "  \"calibration\": " << metadata_json << "\n}\n";
    // Last, and whole or not at all: a directory with table.json is complete.
    write_file_atomic(dir / "table.json", out.str());
  }
}

model::table load_table(const std::string& dir_name, table_format format) {
  const fs::path dir(dir_name);
  const std::string meta_file = (dir / "table.json").string();
  const std::string meta = read_file(meta_file);
  const long long version = json_integer(meta, "format_version", meta_file, -1000000, 1000000);
  if (version != model::table_format_version)
    throw config_error(fmt::format("{}: format_version = {}: this build reads version {}", meta_file, version,
                                   model::table_format_version));
  model::table_grid grid{};
  grid.n_s = static_cast<std::int32_t>(json_integer(meta, "n_s", meta_file, 0, 1 << 20));
  grid.n_v = static_cast<std::int32_t>(json_integer(meta, "n_v", meta_file, 0, 1 << 20));
  grid.s_log2_step = static_cast<std::int32_t>(json_integer(meta, "s_log2_step", meta_file, -64, 64));
  grid.v_log2_step = static_cast<std::int32_t>(json_integer(meta, "v_log2_step", meta_file, -64, 64));
  if (model::check_grid(grid) != model::table_status::ok)
    throw config_error(fmt::format("{}: grid n_s = {}, n_v = {}, s_log2_step = {}, v_log2_step = {}: {}", meta_file,
                                   grid.n_s, grid.n_v, grid.s_log2_step, grid.v_log2_step,
                                   model::describe(model::check_grid(grid))));
  const std::string checksum_text = json_text(meta, "checksum", meta_file);
  if (checksum_text.size() != 16 || checksum_text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw config_error(meta_file + ": checksum = \"" + shown_value(checksum_text) + "\": expected 16 hex digits");
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
      throw config_error(fmt::format("{}: {} bytes cannot hold the {} entries of the grid in table.json (n_s = {}, n_v = {})",
                                     (dir / first).string(), size, grid.cells(), grid.n_s, grid.n_v));
  }
  model::table t(grid);
  auto coeff = [&](double raw, const std::string& file, const char* key) {
    if (!(raw >= 0 && raw <= model::coeff_one_raw))
      throw config_error(fmt::format("{}: {} = {} outside [0, {}] (Q1.30 in [0, 1])", file, key, raw, model::coeff_one_raw));
    return model::q_coeff::from_raw(static_cast<std::int32_t>(raw));
  };
  const std::size_t cells = grid.cells();
  std::string source;
  auto fail_size = [&](const std::string& file, const std::string& got, std::size_t want) {
    throw config_error(fmt::format("{}: {} values, the grid in table.json needs {} (n_s = {}, n_v = {})", file, got, want,
                                   grid.n_s, grid.n_v));
  };
  if (format == table_format::csv) {
    source = (dir / "table.csv").string();
    std::istringstream in(read_file(source));
    std::string line;
    std::getline(in, line);  // header
    static const char* const columns[] = {"i_s",       "i_v",       "s",         "v_v",    "drift",   "noise",   "fluct",
                                          "g_s",       "drift_raw", "noise_raw", "fluct_raw", "g_raw", "samples", "visited"};
    std::size_t rows = 0;
    long long number = 1;
    std::vector<char> seen(cells, 0);
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
      if (f.size() != 14)
        throw config_error(fmt::format("{}:{}: {} columns, expected 14 (i_s,i_v,...,visited)", source, number, f.size()));
      auto field = [&](int col, long long lo, long long hi) {
        long long v = 0;
        if (!parse_integer(f[static_cast<std::size_t>(col)], lo, hi, v))
          throw config_error(fmt::format("{}:{}: {} = '{}': expected an integer in [{}, {}]", source, number, columns[col],
                                         shown_value(f[static_cast<std::size_t>(col)]), lo, hi));
        return v;
      };
      const int i = static_cast<int>(field(0, 0, grid.n_s - 1)), j = static_cast<int>(field(1, 0, grid.n_v - 1));
      if (seen[t.index(i, j)]++)
        throw config_error(fmt::format("{}:{}: bin (i_s, i_v) = ({}, {}) appears twice", source, number, i, j));
      t.drift_at(i, j) = model::q_delta::from_raw(static_cast<std::int32_t>(field(8, i32_lo, i32_hi)));
      t.noise_at(i, j) = model::q_delta::from_raw(static_cast<std::int32_t>(field(9, i32_lo, i32_hi)));
      t.fluct_at(i, j) = model::q_delta::from_raw(static_cast<std::int32_t>(field(10, i32_lo, i32_hi)));
      t.g[static_cast<std::size_t>(i)] = model::q_cond::from_raw(static_cast<std::int32_t>(field(11, i32_lo, i32_hi)));
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
          throw config_error(fmt::format("{}:{}: '{}': expected one 32-bit word of 1 to 8 hex digits", file, number,
                                         shown_value(word)));
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
        throw config_error(source + ": array " + name + " not found");
      std::string body = text.substr(open + 1, close - open - 1);
      std::replace(body.begin(), body.end(), ',', ' ');
      std::istringstream in(body);
      std::size_t n = 0;
      using value = typename std::decay_t<decltype(values)>::value_type;
      for (std::string word; in >> word;) {
        long long raw = 0;
        if (!parse_integer(word, i32_lo, i32_hi, raw))
          throw config_error(fmt::format("{}: {}[{}] = '{}': expected an integer in [{}, {}]", source, name, n,
                                         shown_value(word), i32_lo, i32_hi));
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
      if (at == std::string::npos) throw config_error(source + ": #define " + name + " not found");
      const auto end = text.find_first_of(" \t\r\n", at + tag.size());
      const std::string word = text.substr(at + tag.size(), end == std::string::npos ? end : end - at - tag.size());
      long long raw = 0;
      if (!parse_integer(word, i32_lo, i32_hi, raw))
        throw config_error(fmt::format("{}: #define {} {}: expected an integer", source, name, shown_value(word)));
      return coeff(static_cast<double>(raw), source, name.c_str());
    };
    t.fluct_rho = define("IONRAIL_TABLE_FLUCT_RHO");
    t.fluct_kick = define("IONRAIL_TABLE_FLUCT_KICK");
  }
  if (t.checksum() != checksum)
    throw config_error(fmt::format("{}: checksum {:016x} does not match table.json's {:016x}: the table is corrupted or "
                                   "from another calibration",
                                   source, t.checksum(), checksum));
  return t;
}

}  // namespace ionrail::app
