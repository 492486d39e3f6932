#pragma once
// Parameters of a simulated device and of how it is simulated. Names follow
// the configuration keys of spec/rail-kmc.md; units are in the names.
#include <cstdint>
#include <string>
#include <vector>

namespace ionrail::kmc {

struct species_params {
  std::string name = "ion";
  int charge = 1;                       // z
  double activation_energy_ev = 0.72;   // Ea
  double attempt_frequency_hz = 1e13;   // ν0
  double fill = 1.0 / 3.0;              // ions per site: n_s = round(fill · sites)
  int ions = 0;                         // ions per rail n_s directly; 0: from fill
  int ions_per_rail(int sites) const;   // n_s
};

// A fraction of the rails with their own kinetics (e.g. amorphous vs
// crystalline paths). Rails of class c are a contiguous block.
struct rail_class_params {
  std::string name = "rails";
  double fraction = 1.0;
  double activation_shift_ev = 0.0;     // added to every species' Ea on these rails
  double attempt_frequency_scale = 1.0; // multiplies every species' ν0
  std::vector<double> site_energy_ev;   // empty: the device landscape
};

enum class readout_source { f_right, f_left };

struct readout_params {
  readout_source source = readout_source::f_right;
  double g0_s = 1e-6;     // conductance at uniform filling
  double g1_s = 1e-4;     // dG / d(state)
  double g_min_s = 1e-9;
  double g_max_s = 1e-3;

  // G = clamp(g0 + g1 (s − s_eq), g_min, g_max) for a readout state s.
  double conductance(double state, double s_eq) const {
    const double g = g0_s + g1_s * (state - s_eq);
    return g < g_min_s ? g_min_s : (g > g_max_s ? g_max_s : g);
  }
};

// Rails are padded to a multiple of 64 in an int: at most this many.
inline constexpr int max_rails = 2147483647 / 64 * 64;

struct device_params {
  double thickness_nm = 100.0;
  int sites = 100;
  int rails = 1000;
  double temperature_k = 300.0;
  double ion_density_m3 = 2e23;         // c0; 0 switches space charge off
  double rel_permittivity = 3.0;
  bool field_per_class = false;         // average occupancy per rail class instead of over all rails
  std::vector<species_params> species{species_params{}};
  std::vector<rail_class_params> classes{rail_class_params{}};
  std::vector<double> site_energy_ev;   // ε_i, empty: flat
  std::vector<double> initial_profile;  // relative weight per site for the initial positions; empty: uniform
  int zones = 10;
  double area_um2 = 1.0;
  double rails_per_area_m2 = 0.0;       // 0: c0·d / n if c0 > 0, else 1/a²
  readout_params readout;

  double spacing_m() const { return thickness_nm * 1e-9 / sites; }
  int ions_per_rail() const;
  std::vector<int> species_counts() const;
};

enum class method { sync, bkl };

struct sim_params {
  method solver = method::sync;
  double dt_s = 0.0;        // sync step; 0: automatic from p_max
  double p_max = 0.5;       // bound on (Γ+ + Γ−) dt for the automatic step
  double dt_max_s = 0.0;    // cap on the automatic step (0: none)
  // Largest change of ln Γ that the applied-field term may make over one
  // automatic step as the drive moves (0: no bound); see plan_step.
  double rate_change_max = 0.002;
  int field_every = 1;      // sync: refresh the field every this many steps
  std::uint64_t seed = 1;
  int threads = 0;          // 0: OpenMP default
  // sync: use fewer of `threads` in the steps where fewer are measured faster
  // (kmc::thread_governor); the results are the same bits either way.
  // Benchmarks of a fixed thread count turn it off.
  bool adaptive_threads = true;
  // Hop attempts one engine may take (a BKL event counts as 500, as in the
  // work estimate); 0: no limit. Not a configuration key: the commands set
  // it from --max-work, so that a run whose estimate was too low (space
  // charge can shorten the automatic step far below what the estimate
  // assumes) stops at the limit instead of running on without end.
  double work_limit = 0.0;
};

// Throws std::invalid_argument naming the key, the value and the valid range.
void validate(const device_params& d);
void validate(const sim_params& s);
// Both, and what depends on the two together (BKL's 32-bit ion ids).
void validate(const device_params& d, const sim_params& s);
inline constexpr double max_bkl_ions = 4294967294.0;

const char* to_string(method m);

}  // namespace ionrail::kmc
