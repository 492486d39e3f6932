#pragma once
// The calibrated device for circuit simulators (docs/spice.md): an ngspice
// subcircuit library and a Verilog-A module, both generated from a loaded
// response table. Both integrate the table's drift as a rate,
//   ds/dt = gain · D(s, V) / dt_m,
// with D bilinear in (s, V) between the grid points (as the model step
// interpolates it), s held in [0, 1], V clamped to the table's voltage range,
// and read the conductance G(s) (linear between the s points) as I = G · V.
// Depends on ionrail::model and the standard library only.
#include <cstdint>
#include <string>

#include <ionrail/model/table.hpp>

namespace ionrail::model_io {

// What the generated files record beside the table.
struct circuit_export_info {
  std::string table_name;  // shown in the headers (e.g. the table directory)
  double dt_m_s = 0;       // seconds per model step (table.json calibration.dt_m_s), > 0
  double s_eq = 0;         // default initial state (table.json s_eq), in [0, 1]
};

// The ngspice library (ionrail.lib): `.subckt ionrail_mem p n params: s0 gain`
// (noise-free, the model's mean path) and `.subckt ionrail_mem_noise p n
// params: s0 gain` (slow noise and fast fluctuation driven by Gaussian
// trrandom sources, one draw per dt_m). B-sources and pwl() only: no compiled code, ngspice 39 or later.
// std::invalid_argument if the table fails check() or info is out of range.
std::string spice_library(const model::table& t, const circuit_export_info& info);

// The Verilog-A module (ionrail_mem.va): `module ionrail_mem(p, n)` with
// parameters s0 and gain, the tables as analog functions (explicit bilinear
// interpolation), the state integrated with idt(). Noise-free.
std::string verilog_a_module(const model::table& t, const circuit_export_info& info);

// The table's checksum as 16 hex digits (as in table.json).
std::string checksum_hex(const model::table& t);

}  // namespace ionrail::model_io
