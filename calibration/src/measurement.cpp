#include <ionrail/calibration/measurement.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>

namespace ionrail::calibration {

const char* material_key(fit_parameter_name p) {
  switch (p) {
    case fit_parameter_name::activation_energy_ev: return "species.activation_energy_ev";
    case fit_parameter_name::attempt_frequency_hz: return "species.attempt_frequency_hz";
    case fit_parameter_name::fill: return "species.fill";
    case fit_parameter_name::ion_density_m3: return "field.ion_density_m3";
    case fit_parameter_name::rel_permittivity: return "field.rel_permittivity";
    case fit_parameter_name::g0_s: return "readout.g0_s";
    case fit_parameter_name::g1_s: return "readout.g1_s";
  }
  return "?";
}

// The key's last part: the material key is the one table of names.
const char* to_string(fit_parameter_name p) {
  const char* key = material_key(p);
  const char* dot = std::strrchr(key, '.');
  return dot != nullptr ? dot + 1 : key;
}

const char* to_string(fit_algorithm a) {
  switch (a) {
    case fit_algorithm::bobyqa: return "bobyqa";
    case fit_algorithm::neldermead: return "neldermead";
    case fit_algorithm::sbplx: return "sbplx";
    case fit_algorithm::cobyla: return "cobyla";
  }
  return "?";
}

double get_parameter(const kmc::device_params& d, fit_parameter_name p) {
  switch (p) {
    case fit_parameter_name::activation_energy_ev: return d.species.at(0).activation_energy_ev;
    case fit_parameter_name::attempt_frequency_hz: return d.species.at(0).attempt_frequency_hz;
    case fit_parameter_name::fill: return d.species.at(0).fill;
    case fit_parameter_name::ion_density_m3: return d.ion_density_m3;
    case fit_parameter_name::rel_permittivity: return d.rel_permittivity;
    case fit_parameter_name::g0_s: return d.readout.g0_s;
    case fit_parameter_name::g1_s: return d.readout.g1_s;
  }
  return 0;
}

void set_parameter(kmc::device_params& d, fit_parameter_name p, double value) {
  switch (p) {
    case fit_parameter_name::activation_energy_ev: d.species.at(0).activation_energy_ev = value; break;
    case fit_parameter_name::attempt_frequency_hz: d.species.at(0).attempt_frequency_hz = value; break;
    case fit_parameter_name::fill: d.species.at(0).fill = value; break;
    case fit_parameter_name::ion_density_m3: d.ion_density_m3 = value; break;
    case fit_parameter_name::rel_permittivity: d.rel_permittivity = value; break;
    case fit_parameter_name::g0_s: d.readout.g0_s = value; break;
    case fit_parameter_name::g1_s: d.readout.g1_s = value; break;
  }
}

namespace {

// The columns a measured file may have: the unit is part of the name, so a
// file in other units (ms, µS) is refused rather than misread by 1000×.
struct column_kind {
  const char* name;
  const char* what;
};
constexpr column_kind known_columns[] = {
    {"t_s", "time (s)"},
    {"v_v", "applied voltage (V)"},
    {"g_s", "measured conductance (S)"},
    {"g_sigma_s", "standard uncertainty of g_s (S)"},
    {"i_a", "measured current (A)"},
    {"i_sigma_a", "standard uncertainty of i_a (A)"},
};
constexpr const char* known_list = "t_s, v_v, g_s, g_sigma_s, i_a, i_sigma_a";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.emplace_back();  // a trailing empty cell counts
  return out;
}

// A decimal number and nothing else ("nan", "inf" parse, and are refused by
// the caller as not finite, naming them).
bool parse_number(const std::string& text, double& out) {
  if (text.empty() || text.find_first_of("xXpP") != std::string::npos) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

std::string shown(const std::string& s) { return s.size() > 40 ? "'" + s.substr(0, 40) + "...'" : "'" + s + "'"; }

}  // namespace

measured_curve read_measured_curve(const std::string& path) {
  const std::string bytes = model_io::read_input_file(path, model_io::max_input_bytes, "measured curve");
  measured_curve c;
  c.file = path;
  std::istringstream in(bytes);
  std::string line;
  std::uint32_t number = 0;
  auto at = [&](std::uint32_t n) { return path + ":" + std::to_string(n) + ": "; };
  std::vector<std::string> header;
  int col_t = -1, col_v = -1, col_y = -1, col_sigma = -1;
  std::uint32_t header_line = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    const std::vector<std::string> cells = split(content);
    if (header.empty()) {
      header = cells;
      header_line = number;
      int col_g = -1, col_i = -1, col_gs = -1, col_is = -1;
      for (std::size_t k = 0; k < cells.size(); ++k) {
        const std::string& name = cells[k];
        const bool known = std::any_of(std::begin(known_columns), std::end(known_columns),
                                       [&](const column_kind& kind) { return name == kind.name; });
        if (!known) {
          double ignored = 0;
          if (parse_number(name, ignored))
            throw input_error(at(number) + "found numbers where the header belongs: expected a first line naming the "
                              "columns with their units (" + known_list + ")");
          throw input_error(at(number) + "column " + std::to_string(k + 1) + " " + shown(name) +
                            ": no known name with its unit; expected one of " + known_list +
                            " (SI units: seconds, volts, siemens, amperes)");
        }
        int* slot = name == "t_s" ? &col_t : name == "v_v" ? &col_v : name == "g_s" ? &col_g
                  : name == "g_sigma_s" ? &col_gs : name == "i_a" ? &col_i : &col_is;
        if (*slot >= 0) throw input_error(at(number) + "column " + shown(name) + " appears twice");
        *slot = static_cast<int>(k);
      }
      if (col_t < 0) throw input_error(at(number) + "no t_s column: expected the time of each row in seconds");
      if ((col_g >= 0) == (col_i >= 0))
        throw input_error(at(number) + (col_g >= 0 ? "both g_s and i_a" : "neither g_s nor i_a") +
                          ": expected exactly one measured quantity per file (conductance g_s or current i_a)");
      c.quantity = col_g >= 0 ? measured_quantity::conductance : measured_quantity::current;
      col_y = col_g >= 0 ? col_g : col_i;
      if ((col_g >= 0 && col_is >= 0) || (col_i >= 0 && col_gs >= 0))
        throw input_error(at(number) + "the uncertainty column does not match the measured quantity: expected " +
                          (col_g >= 0 ? "g_sigma_s with g_s" : "i_sigma_a with i_a"));
      col_sigma = col_g >= 0 ? col_gs : col_is;
      continue;
    }
    if (cells.size() != header.size())
      throw input_error(at(number) + std::to_string(cells.size()) + " columns: expected " +
                        std::to_string(header.size()) + " as the header (line " + std::to_string(header_line) +
                        ") names");
    std::vector<double> v(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      if (!parse_number(cells[k], v[k]))
        throw input_error(at(number) + header[k] + " = " + shown(cells[k]) + ": expected a decimal number");
      if (!std::isfinite(v[k]))
        throw input_error(at(number) + header[k] + " = " + cells[k] + ": expected a finite number (a curve with " +
                          "NaN or inf cannot be fitted; drop the row)");
    }
    const double t = v[static_cast<std::size_t>(col_t)];
    if (t < 0) throw input_error(at(number) + "t_s = " + cells[static_cast<std::size_t>(col_t)] + ": expected >= 0");
    if (!c.t_s.empty() && !(t > c.t_s.back()))
      throw input_error(at(number) + "t_s = " + cells[static_cast<std::size_t>(col_t)] +
                        ": expected strictly increasing times (previous row: " + std::to_string(c.t_s.back()) + ")");
    if (col_v >= 0 && std::fabs(v[static_cast<std::size_t>(col_v)]) > 1000)
      throw input_error(at(number) + "v_v = " + cells[static_cast<std::size_t>(col_v)] + ": expected |V| <= 1000");
    if (col_sigma >= 0 && !(v[static_cast<std::size_t>(col_sigma)] > 0))
      throw input_error(at(number) + header[static_cast<std::size_t>(col_sigma)] + " = " +
                        cells[static_cast<std::size_t>(col_sigma)] + ": expected an uncertainty > 0");
    c.t_s.push_back(t);
    c.value.push_back(v[static_cast<std::size_t>(col_y)]);
    if (col_sigma >= 0) c.sigma.push_back(v[static_cast<std::size_t>(col_sigma)]);
    if (col_v >= 0) c.v_v.push_back(v[static_cast<std::size_t>(col_v)]);
    c.line.push_back(number);
  }
  if (header.empty()) throw input_error(path + ":1: empty file: expected a header (" + known_list + ") and data rows");
  if (c.t_s.empty())
    throw input_error(path + ":" + std::to_string(number) + ": zero data rows after the header: expected at least one");
  return c;
}

void check_within_drive(const measured_curve& c, double duration_s, const std::string& drive_name) {
  for (std::size_t k = 0; k < c.t_s.size(); ++k)
    if (c.t_s[k] > duration_s * (1 + 1e-12))
      throw input_error(c.file + ":" + std::to_string(c.line[k]) + ": t_s = " + std::to_string(c.t_s[k]) +
                        ": after the end of the drive (" + drive_name + " ends at " + std::to_string(duration_s) +
                        " s): expected every measured time within the applied waveform");
}

}  // namespace ionrail::calibration
