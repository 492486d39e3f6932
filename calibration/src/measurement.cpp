#include <ionrail/calibration/measurement.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <ionrail/model_io/input_error.hpp>

#include "unit_csv.hpp"

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

// The columns a measured curve may have: the unit is part of the name, so a
// file in other units (ms, µS) is refused rather than misread by 1000×.
const std::vector<detail::unit_column>& curve_columns() {
  static const std::vector<detail::unit_column> known{
      {"t_s", "time (s)"},
      {"v_v", "applied voltage (V)"},
      {"g_s", "measured conductance (S)"},
      {"g_sigma_s", "standard uncertainty of g_s (S)"},
      {"i_a", "measured current (A)"},
      {"i_sigma_a", "standard uncertainty of i_a (A)"},
  };
  return known;
}

}  // namespace

measured_curve read_measured_curve(const std::string& path) {
  const detail::unit_csv f = detail::read_unit_csv(path, curve_columns(), "measured curve");
  measured_curve c;
  c.file = path;
  const int col_t = f.column("t_s"), col_v = f.column("v_v"), col_g = f.column("g_s"), col_i = f.column("i_a");
  const int col_gs = f.column("g_sigma_s"), col_is = f.column("i_sigma_a");
  const std::string head = f.at(f.header_line);
  if (col_t < 0) throw input_error(head + "no t_s column: expected the time of each row in seconds");
  if ((col_g >= 0) == (col_i >= 0))
    throw input_error(head + (col_g >= 0 ? "both g_s and i_a" : "neither g_s nor i_a") +
                      ": expected exactly one measured quantity per file (conductance g_s or current i_a)");
  c.quantity = col_g >= 0 ? measured_quantity::conductance : measured_quantity::current;
  const int col_y = col_g >= 0 ? col_g : col_i;
  if ((col_g >= 0 && col_is >= 0) || (col_i >= 0 && col_gs >= 0))
    throw input_error(head + "the uncertainty column does not match the measured quantity: expected " +
                      (col_g >= 0 ? "g_sigma_s with g_s" : "i_sigma_a with i_a"));
  const int col_sigma = col_g >= 0 ? col_gs : col_is;
  for (std::size_t r = 0; r < f.rows.size(); ++r) {
    const auto& v = f.rows[r];
    const auto& cells = f.cells[r];
    const std::string at = f.at(f.line[r]);
    const double t = v[static_cast<std::size_t>(col_t)];
    if (t < 0) throw input_error(at + "t_s = " + detail::shown_cell(cells[static_cast<std::size_t>(col_t)]) + ": expected >= 0");
    if (!c.t_s.empty() && !(t > c.t_s.back()))
      throw input_error(at + "t_s = " + detail::shown_cell(cells[static_cast<std::size_t>(col_t)]) +
                        ": expected strictly increasing times (previous row: " + std::to_string(c.t_s.back()) + ")");
    if (col_v >= 0 && std::fabs(v[static_cast<std::size_t>(col_v)]) > 1000)
      throw input_error(at + "v_v = " + detail::shown_cell(cells[static_cast<std::size_t>(col_v)]) + ": expected |V| <= 1000");
    if (col_sigma >= 0 && !(v[static_cast<std::size_t>(col_sigma)] > 0))
      throw input_error(at + f.header[static_cast<std::size_t>(col_sigma)] + " = " +
                        detail::shown_cell(cells[static_cast<std::size_t>(col_sigma)]) + ": expected an uncertainty > 0");
    c.t_s.push_back(t);
    c.value.push_back(v[static_cast<std::size_t>(col_y)]);
    if (col_sigma >= 0) c.sigma.push_back(v[static_cast<std::size_t>(col_sigma)]);
    if (col_v >= 0) c.v_v.push_back(v[static_cast<std::size_t>(col_v)]);
    c.line.push_back(f.line[r]);
  }
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
