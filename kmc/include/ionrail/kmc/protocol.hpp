#pragma once
// Experimental protocols (spec §7) as voltage sources: relax, sweep, pulse
// trains and measured waveforms all become a piecewise-linear V(t), so every
// solver and backend drives them the same way.
#include <memory>
#include <string>
#include <vector>

#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

enum class protocol_kind { relax, sweep, pulses, waveform };

struct relax_protocol {
  double voltage_v = 5.0;   // polarising voltage
  double pulse_s = 4.0;     // time held at voltage_v
  double relax_s = 45.0;    // time at V = 0 afterwards
};

// Triangle 0 → +v_max → 0 → −v_max → 0, repeated `cycles` times.
struct sweep_protocol {
  double v_max_v = 3.0;
  double rate_v_per_s = 0.5;
  int cycles = 1;
};

// n_pot pulses of v_pot then n_dep pulses of v_dep, each `width_s` long and
// followed by `gap_s` at the read voltage.
struct pulses_protocol {
  int n_pot = 20;
  int n_dep = 20;
  double v_pot_v = 4.0;
  double v_dep_v = -4.0;
  double width_s = 0.2;
  double gap_s = 0.3;
  double read_v = 0.1;
};

struct protocol_params {
  protocol_kind kind = protocol_kind::relax;
  relax_protocol relax;
  sweep_protocol sweep;
  pulses_protocol pulses;
  std::string waveform_csv;              // two columns: time_s, volts (header optional)
  double sample_every_s = 0.1;           // trace row spacing
  std::vector<double> profile_times_s;   // zone-profile snapshots; empty: start, end of drive, end
};

// Voltage steps are ramps of this duration: far below any hop time, so they
// act as steps, while keeping V(t) a function.
inline constexpr double protocol_edge_s = 1e-9;

const char* to_string(protocol_kind k);
void validate(const protocol_params& p);  // throws std::invalid_argument naming protocol.<key>

// Reads a waveform CSV (a regular file of at most 64 MiB: a FIFO, a device
// or a larger file is refused before it is read); errors, std::invalid_argument,
// name the file and line.
std::shared_ptr<piecewise_linear_voltage> read_waveform_csv(const std::string& path);

struct protocol_drive {
  std::shared_ptr<piecewise_linear_voltage> voltage;
  double duration_s = 0;
  double drive_end_s = 0;  // end of the polarising part (relax: pulse_s; others: duration)
};

protocol_drive make_drive(const protocol_params& p);

}  // namespace ionrail::kmc
