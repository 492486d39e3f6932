#pragma once
// The small calibration the command-level tests share: a 20-site, 20 nm
// device of neutral ions with no barrier (200 attempts/s), four rail classes,
// a 4-bit state grid and ±2 V random protocols. Seconds of work, yet a whole
// table with its fidelity check.
#include <string>

namespace ionrail_test {

// The [sim] and [calibration] sections alone, for a file that has its own [device].
inline std::string calibration_sections(int device_rails, int runs, double duration_s) {
  return "[sim]\nthreads = 1\n[calibration]\ndevice_rails = " + std::to_string(device_rails) +
         "\ndevices = 4\nruns = " + std::to_string(runs) + "\nduration_s = " + std::to_string(duration_s) +
         "\ndt_m_s = 0.05\nv_max_v = 2\nstate_bits = 4\nnoise_lag_s = 0.2\n";
}

// The device and its one species; `rails` > 0 adds device.rails.
inline std::string small_device_toml(int rails = 0) {
  return "[device]\nthickness_nm = 20\nsites = 20\n" + (rails > 0 ? "rails = " + std::to_string(rails) + "\n" : "") +
         "zones = 4\n[[species]]\nname = \"ion\"\nactivation_energy_ev = 0\nattempt_frequency_hz = 200\nfill = 0.3\n";
}

inline std::string small_calibration_toml(int device_rails, int runs, double duration_s) {
  return small_device_toml() + calibration_sections(device_rails, runs, duration_s);
}

}  // namespace ionrail_test
