#pragma once
// The rail physics, written once. Every backend (the CPU solvers, the CUDA
// kernels, the tests) calls these functions, so there is one copy of the
// rates, the mean-field Poisson field and the hop rule.
//
// Positions are stored shifted by one (q = site + 1) so that a rail's walls
// are sentinel ions at q = 0 and q = sites + 1: the blocking test is then the
// same for an ion next to a wall as for one next to another ion.
#include <cstdint>

#include <Random123/philox.h>

#include <ionrail/hd.hpp>
#include <ionrail/kmc/det_exp.hpp>

namespace ionrail::kmc {

inline constexpr double boltzmann_ev_per_k = 8.617333262e-5;
inline constexpr double elementary_charge_c = 1.602176634e-19;
inline constexpr double vacuum_permittivity_f_per_m = 8.8541878128e-12;

// Parameters of one (rail class, species) pair.
struct hop_params {
  double base_rate_hz = 0;      // Γ0 = ν0 exp(-Ea / kB T)
  double half_beta_per_ev = 0;  // 1 / (2 kB T)
  double charge_spacing_m = 0;  // z·a: z e E a in eV for E in V/m
};

IONRAIL_HD inline double base_hop_rate(double attempt_frequency_hz, double activation_energy_ev,
                                       double temperature_k) {
  return attempt_frequency_hz * det_exp(-activation_energy_ev / (boltzmann_ev_per_k * temperature_k));
}

// Γ± = Γ0 exp(ΔE / 2kT), ΔE = ±z e E a − (ε_to − ε_from): detailed balance
// Γ+(i) / Γ−(i+1) = exp(ΔE / kT) holds by construction.
IONRAIL_HD inline double hop_rate(const hop_params& p, double direction, double bond_field_v_per_m,
                                  double energy_from_ev, double energy_to_ev) {
  const double released_ev = direction * p.charge_spacing_m * bond_field_v_per_m - (energy_to_ev - energy_from_ev);
  return p.base_rate_hz * det_exp(p.half_beta_per_ev * released_ev);
}

struct site_rates {
  double right = 0;
  double left = 0;
};

// Rates out of stored position q (1..sites): the right hop uses the field on
// bond q-1 (between sites q-1 and q), the left hop the field on bond q-2.
// Hops into a wall have rate 0.
IONRAIL_HD inline site_rates hop_rates_at(const hop_params& p, const double* bond_field, const double* site_energy_ev,
                                          int sites, int q) {
  site_rates r;
  const int site = q - 1;
  if (site < sites - 1)
    r.right = hop_rate(p, +1.0, bond_field[site], site_energy_ev[site], site_energy_ev[site + 1]);
  if (site > 0)
    r.left = hop_rate(p, -1.0, bond_field[site - 1], site_energy_ev[site], site_energy_ev[site - 1]);
  return r;
}

// Probability rate·dt as a 32-bit threshold: a uniform 32-bit draw u hops iff
// u < threshold, so the hop probability is exactly threshold / 2^32.
IONRAIL_HD inline std::uint32_t probability_threshold(double rate_hz, double dt_s) {
  const double scaled = floor(rate_hz * dt_s * 4294967296.0);
  return scaled >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(scaled);
}

struct hop_thresholds {
  std::uint32_t right = 0;  // hop right iff u < right
  std::uint32_t total = 0;  // hop left iff right <= u < total
};

IONRAIL_HD inline hop_thresholds thresholds_from_rates(site_rates r, double dt_s) {
  hop_thresholds t;
  t.right = probability_threshold(r.right, dt_s);
  const std::uint32_t left = probability_threshold(r.left, dt_s);
  t.total = left > 0xFFFFFFFFu - t.right ? 0xFFFFFFFFu : t.right + left;
  return t;
}

// The sync hop rule: one draw, a blocked hop is rejected. q_left and q_right
// are the neighbours' stored positions (or the wall sentinels).
IONRAIL_HD inline std::uint16_t hop_target(std::uint16_t q, std::uint16_t q_left, std::uint16_t q_right, std::uint32_t u,
                                           std::uint32_t thr_right, std::uint32_t thr_total) {
  const int right = (u < thr_right) & (q_right - q > 1);
  const int left = (u >= thr_right) & (u < thr_total) & (q - q_left > 1);
  return static_cast<std::uint16_t>(q + right - left);
}

// Mean-field 1-D Poisson with both electrodes held (left at V, right at 0):
// E(x) = V/d + (e c0 / ε0 εr) [S(x) − mean S], S(x) = ∫0^x (o/fill − 1) dx',
// with the charge of each species referred to its own mean occupancy so the
// film is exactly neutral. Zone i is site i.
struct field_params {
  int sites = 0;
  int species = 0;
  double inv_thickness_per_m = 0;      // 1/d
  double space_charge_v_per_m = 0;     // e c0 a / (ε0 εr); 0 switches space charge off
  const int* charge = nullptr;         // z per species
  const double* fill = nullptr;        // n_s / L per species
  double fill_total = 0;               // Σ n_s / L
};

// counts[s * sites + i]: ions of species s at site i summed over the
// rails_in_group rails the field is averaged over. Writes sites-1 bond fields.
IONRAIL_HD inline void bond_fields(const field_params& p, double voltage_v, const long long* counts,
                                   double rails_in_group, double* bond_field) {
  const double applied = voltage_v * p.inv_thickness_per_m;
  const int bonds = p.sites - 1;
  if (p.space_charge_v_per_m == 0.0) {
    for (int b = 0; b < bonds; ++b) bond_field[b] = applied;
    return;
  }
  // Pass 1: S at each bond (in units of a) into bond_field, and the mean of
  // the piecewise-linear S over the film (trapezoid per zone, exact).
  double s = 0.0;
  double twice_integral = 0.0;
  for (int i = 0; i < p.sites; ++i) {
    double charge = 0.0;
    for (int sp = 0; sp < p.species; ++sp) {
      const double occupancy = static_cast<double>(counts[sp * p.sites + i]) / rails_in_group;
      charge += p.charge[sp] * (occupancy - p.fill[sp]);
    }
    const double s_next = s + charge / p.fill_total;
    twice_integral += s + s_next;
    if (i < bonds) bond_field[i] = s_next;
    s = s_next;
  }
  const double mean_s = twice_integral / (2.0 * p.sites);
  for (int b = 0; b < bonds; ++b) bond_field[b] = applied + p.space_charge_v_per_m * (bond_field[b] - mean_s);
}

// Counter layout of Philox4x32-10 draws: a draw is a pure function of the
// seed and of what it is for, never of thread or launch order.
enum class draw_stream : std::uint32_t { sync_hop = 0, initial = 1, bkl = 2 };

struct philox_words {
  std::uint32_t ctr[4];
  std::uint32_t key[2];
};

// Half-sweep `half` of step `step`: word w of group g serves ion
// j = half + 2 (4 g + w) on rail `rail`.
IONRAIL_HD inline philox_words sync_hop_counter(std::uint64_t seed, std::uint64_t step, std::uint32_t half,
                                                std::uint32_t rail, std::uint32_t group) {
  philox_words w;
  w.ctr[0] = static_cast<std::uint32_t>(step);
  w.ctr[1] = static_cast<std::uint32_t>(step >> 32) << 1 | (half & 1u);
  w.ctr[2] = rail;
  w.ctr[3] = static_cast<std::uint32_t>(draw_stream::sync_hop) << 24 | group;
  w.key[0] = static_cast<std::uint32_t>(seed);
  w.key[1] = static_cast<std::uint32_t>(seed >> 32);
  return w;
}

IONRAIL_HD inline philox_words stream_counter(std::uint64_t seed, draw_stream stream, std::uint64_t index,
                                              std::uint32_t sub) {
  philox_words w;
  w.ctr[0] = static_cast<std::uint32_t>(index);
  w.ctr[1] = static_cast<std::uint32_t>(index >> 32);
  w.ctr[2] = sub;
  w.ctr[3] = static_cast<std::uint32_t>(stream) << 24;
  w.key[0] = static_cast<std::uint32_t>(seed);
  w.key[1] = static_cast<std::uint32_t>(seed >> 32);
  return w;
}

IONRAIL_HD inline r123::Philox4x32::ctr_type philox_draw(const philox_words& w) {
  r123::Philox4x32 generator;
  const r123::Philox4x32::ctr_type ctr = {{w.ctr[0], w.ctr[1], w.ctr[2], w.ctr[3]}};
  const r123::Philox4x32::key_type key = {{w.key[0], w.key[1]}};
  return generator(ctr, key);
}

// Uniform double in (0, 1] from two words (53 random bits), for the BKL
// selection and waiting time.
IONRAIL_HD inline double unit_interval_open0(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return (static_cast<double>(bits & ((1ull << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// V(t) of a piecewise-linear source: held before the first and after the
// last breakpoint, linear between. Shared so CPU and GPU drive identically.
IONRAIL_HD inline double piecewise_linear_at(const double* times, const double* volts, int points, double t) {
  if (t <= times[0]) return volts[0];
  if (t >= times[points - 1]) return volts[points - 1];
  int lo = 0, hi = points - 1;  // times[lo] < t < times[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (times[mid] <= t) lo = mid;
    else hi = mid;
  }
  const double w = (t - times[lo]) / (times[hi] - times[lo]);
  return volts[lo] + w * (volts[hi] - volts[lo]);
}

struct readout_hd {
  int first_q = 0, last_q = 0;  // stored positions of the readout zone
  double s_eq = 0;
  double g0 = 0, g1 = 0, g_min = 0, g_max = 0;
  double ions_total = 0;        // ions per rail × rails
};

// G = clamp(g0 + g1 (s − s_eq)) with s the fraction of all ions in the readout zone.
IONRAIL_HD inline double readout_conductance(const readout_hd& r, const long long* counts, int combos, int width) {
  long long in_zone = 0;
  for (int k = 0; k < combos; ++k)
    for (int q = r.first_q; q <= r.last_q; ++q) in_zone += counts[k * width + q];
  const double g = r.g0 + r.g1 * (static_cast<double>(in_zone) / r.ions_total - r.s_eq);
  return g < r.g_min ? r.g_min : (g > r.g_max ? r.g_max : g);
}

// Σ z q over all ions: its change over a step is the net charge moved right, in hops.
IONRAIL_HD inline long long charge_position_sum(const long long* counts, const int* combo_charge, int combos, int width) {
  long long sum = 0;
  for (int k = 0; k < combos; ++k) {
    long long positions = 0;
    for (int q = 1; q < width - 1; ++q) positions += q * counts[k * width + q];
    sum += combo_charge[k] * positions;
  }
  return sum;
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// Whether a sync step of length dt starting at t ends by target (within rounding).
IONRAIL_HD inline bool step_fits(double t, double dt, double target) {
  return !(t + dt > target + 1e-9 * dt + 1e-12 * fabs(target));
}

// The automatic sync step: p_max over the largest total hop rate in the table.
// The automatic step never exceeds dt_max (0: no cap): with slow rates (a
// retentive material at rest) p_max / rate can be longer than the features of
// the drive, and a step samples V only at its midpoint, so a pulse shorter
// than the step could be missed.
IONRAIL_HD inline double capped_step(double dt, double dt_max) { return dt_max > 0 && dt > dt_max ? dt_max : dt; }

IONRAIL_HD inline double automatic_step(const site_rates* rates, int entries, double p_max, double previous,
                                         double dt_max = 0) {
  double worst = 0;
  for (int k = 0; k < entries; ++k) {
    const double sum = rates[k].right + rates[k].left;
    worst = sum > worst ? sum : worst;
  }
  return capped_step(worst > 0 ? p_max / worst : previous, dt_max);
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// The per-refresh table work, shared by the CPU solver and the CUDA prepare
// kernel so that both build the same tables in the same order.
// Layouts: counts and rates [(c·species + s)·width + q], width = sites + 2;
// bond fields [group·(sites − 1) + b]; site energies [c·sites + i].

// Ions per site of one field group (species-major, sites entries each),
// summed over the rail classes of that group.
IONRAIL_HD inline void group_site_counts(const long long* counts, int classes, int species, int sites, int width,
                                         bool per_class_field, int group, long long* out) {
  for (int k = 0; k < species * sites; ++k) out[k] = 0;
  for (int c = 0; c < classes; ++c) {
    if ((per_class_field ? c : 0) != group) continue;
    for (int s = 0; s < species; ++s)
      for (int i = 0; i < sites; ++i) out[s * sites + i] += counts[(c * species + s) * width + i + 1];
  }
}

// Rates out of every stored position for every (class, species); the wall
// positions q = 0 and q = sites + 1 get zero.
IONRAIL_HD inline void fill_rate_table(const hop_params* hop, const double* bond_field, const double* site_energy,
                                       int classes, int species, int sites, bool per_class_field, site_rates* rates) {
  const int width = sites + 2;
  for (int k = 0; k < classes * species * width; ++k) rates[k] = site_rates{};
  for (int c = 0; c < classes; ++c)
    for (int s = 0; s < species; ++s) {
      const int k = c * species + s;
      const double* field = bond_field + (per_class_field ? c : 0) * (sites - 1);
      for (int q = 1; q <= sites; ++q) rates[k * width + q] = hop_rates_at(hop[k], field, site_energy + c * sites, sites, q);
    }
}

// Thresholds of a whole rate table for the step dt; returns the largest
// total threshold (0xFFFFFFFF means a hop probability reached 1).
IONRAIL_HD inline std::uint32_t fill_threshold_table(const site_rates* rates, int entries, double dt_s,
                                                     std::uint32_t* right, std::uint32_t* total) {
  std::uint32_t worst = 0;
  for (int k = 0; k < entries; ++k) {
    const hop_thresholds t = thresholds_from_rates(rates[k], dt_s);
    right[k] = t.right;
    total[k] = t.total;
    worst = t.total > worst ? t.total : worst;
  }
  return worst;
}

}  // namespace ionrail::kmc
