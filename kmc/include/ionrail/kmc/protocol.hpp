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
  // The time-averaged site profile's window: empty: none; [from]: from
  // `from` to the end of the protocol; [from, to].
  std::vector<double> average_window_s;
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

// The time-averaged site profile (protocol.average_window_s). It averages
// over the trace's regular sample times t_k = k · sample_every_s (k = 0, 1,
// ...; the grid the trace samples on, up to the end of the protocol) with
// from_s <= t_k <= to_s, each with the same weight; the extra rows the trace
// takes (profile snapshots, pulse reads, the end of the drive) are not averaged.
struct average_window {
  bool enabled = false;
  double from_s = 0;
  double to_s = 0;  // the end of the protocol when not given
};
average_window average_window_of(const protocol_params& p, double duration_s);
// The trace's regular sample times over a protocol of duration_s.
std::vector<double> sample_grid(const protocol_params& p, double duration_s);
// Whether a sample time t lies in the window (ends included, to 1e-12 relative).
bool in_window(const average_window& w, double t);
// The window against the protocol: from < to <= duration_s and at least two
// sample times inside. Throws std::invalid_argument naming
// protocol.average_window_s (validate() checks the entries themselves).
void validate_average_window(const protocol_params& p, double duration_s);

}  // namespace ionrail::kmc
