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

// The bond fields in three passes: the step of S across each zone (each site
// on its own), the running sum S and its mean (a sum of doubles, so one
// thread, in site order), and the field at each bond (each bond on its own).
// The CUDA prepare kernel runs the first and last passes in parallel; the
// values are the same as these loops give.

// counts[s * sites + i]: ions of species s at site i summed over the
// rails_in_group rails the field is averaged over. The step of S (in units of
// a) across zone i.
IONRAIL_HD inline double space_charge_step_at(const field_params& p, const long long* counts, double rails_in_group,
                                              int i) {
  double charge = 0.0;
  for (int sp = 0; sp < p.species; ++sp) {
    const double occupancy = static_cast<double>(counts[sp * p.sites + i]) / rails_in_group;
    charge += p.charge[sp] * (occupancy - p.fill[sp]);
  }
  return charge / p.fill_total;
}

// In place: steps[i] (the step across zone i) becomes S at the right edge of
// zone i, i.e. at bond i. Returns the mean of the piecewise-linear S over the
// film (trapezoid per zone, exact).
IONRAIL_HD inline double running_space_charge(double* steps, int sites) {
  double s = 0.0;
  double twice_integral = 0.0;
  for (int i = 0; i < sites; ++i) {
    const double s_next = s + steps[i];
    twice_integral += s + s_next;
    steps[i] = s_next;
    s = s_next;
  }
  return twice_integral / (2.0 * sites);
}

IONRAIL_HD inline double applied_field(const field_params& p, double voltage_v) { return voltage_v * p.inv_thickness_per_m; }

IONRAIL_HD inline double bond_field_at(const field_params& p, double applied, double s_at_bond, double mean_s) {
  return p.space_charge_v_per_m == 0.0 ? applied : applied + p.space_charge_v_per_m * (s_at_bond - mean_s);
}

// Writes sites-1 bond fields; scratch holds `sites` doubles.
IONRAIL_HD inline void bond_fields(const field_params& p, double voltage_v, const long long* counts,
                                   double rails_in_group, double* bond_field, double* scratch) {
  const double applied = applied_field(p, voltage_v);
  double mean_s = 0.0;
  if (p.space_charge_v_per_m != 0.0) {
    for (int i = 0; i < p.sites; ++i) scratch[i] = space_charge_step_at(p, counts, rails_in_group, i);
    mean_s = running_space_charge(scratch, p.sites);
  }
  for (int b = 0; b < p.sites - 1; ++b)
    bond_field[b] = bond_field_at(p, applied, p.space_charge_v_per_m != 0.0 ? scratch[b] : 0.0, mean_s);
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

// The sums below are integer sums, so a parallel reduction over the entries
// (the CUDA prepare kernel) gives the same value as these loops.

// Ions of one count-table entry (k = combo · width + q) that are in the readout zone.
IONRAIL_HD inline long long readout_ions_at(const readout_hd& r, const long long* counts, int width, int k) {
  const int q = k % width;
  return q >= r.first_q && q <= r.last_q ? counts[k] : 0;
}

// G = clamp(g0 + g1 (s − s_eq)) with s the fraction of all ions in the readout zone.
IONRAIL_HD inline double readout_conductance_of(const readout_hd& r, long long in_zone) {
  const double g = r.g0 + r.g1 * (static_cast<double>(in_zone) / r.ions_total - r.s_eq);
  return g < r.g_min ? r.g_min : (g > r.g_max ? r.g_max : g);
}

IONRAIL_HD inline double readout_conductance(const readout_hd& r, const long long* counts, int combos, int width) {
  long long in_zone = 0;
  for (int k = 0; k < combos * width; ++k) in_zone += readout_ions_at(r, counts, width, k);
  return readout_conductance_of(r, in_zone);
}

// z q summed over the ions of one count-table entry (walls hold none).
IONRAIL_HD inline long long charge_position_at(const long long* counts, const int* combo_charge, int width, int k) {
  const int q = k % width;
  return q == 0 || q == width - 1 ? 0 : combo_charge[k / width] * (q * counts[k]);
}

// Σ z q over all ions: its change over a step is the net charge moved right, in hops.
IONRAIL_HD inline long long charge_position_sum(const long long* counts, const int* combo_charge, int combos, int width) {
  long long sum = 0;
  for (int k = 0; k < combos * width; ++k) sum += charge_position_at(counts, combo_charge, width, k);
  return sum;
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// The automatic sync step: p_max over the largest total hop rate in the table.
// The automatic step never exceeds dt_max (0: no cap): with slow rates (a
// retentive material at rest) p_max / rate can be longer than the features of
// the drive, and a step samples V only at its midpoint, so a pulse shorter
// than the step could be missed.
IONRAIL_HD inline double capped_step(double dt, double dt_max) { return dt_max > 0 && dt > dt_max ? dt_max : dt; }

// From the largest total hop rate of the table (a maximum: any reduction
// order gives the same value).
IONRAIL_HD inline double automatic_step_for(double worst_rate_hz, double p_max, double previous, double dt_max) {
  return capped_step(worst_rate_hz > 0 ? p_max / worst_rate_hz : previous, dt_max);
}

IONRAIL_HD inline double automatic_step(const site_rates* rates, int entries, double p_max, double previous,
                                         double dt_max = 0) {
  double worst = 0;
  for (int k = 0; k < entries; ++k) {
    const double sum = rates[k].right + rates[k].left;
    worst = sum > worst ? sum : worst;
  }
  return automatic_step_for(worst, p_max, previous, dt_max);
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// The step actually taken: its length, and the time it ends at (exactly the
// landing point when it lands on a target or a breakpoint, so that the time
// after it is that point to the bit, not t + (point − t) rounded).
struct step_plan {
  double dt = 0;
  double end = 0;
};

// The voltage change that moves ln Γ by `rate_change_max` through the applied
// field term of hop_rate: ln Γ changes by half_beta · z a · V / d, so
// log_rate_per_volt = max over (class, species) of half_beta |z| a / d.
// 0 (no bound) when either is 0.
IONRAIL_HD inline double drive_change_bound_v(double rate_change_max, double log_rate_per_volt) {
  return rate_change_max > 0 && log_rate_per_volt > 0 ? rate_change_max / log_rate_per_volt : 0.0;
}

// The step starting at t: dt_natural (the p_max step, already capped at
// dt_max), shortened so that
//  - the drive moves by at most dv_max over it (dv_max > 0; the slope is that
//    of the piecewise-linear segment t lies on), but not below
//    rate_change_max · dt_natural: over so short a step the hop probability
//    is at most rate_change_max · p_max, so the rates' change over it moves
//    few ions, and a 1 ns protocol edge of several volts is crossed in one
//    step (ending on its breakpoint) instead of hundreds,
//  - it does not straddle a breakpoint of the drive (points > 0), so the
//    voltage is linear over every step and its value at the step's midpoint is
//    its mean over the step, and a pulse edge is never averaged over,
//  - it does not go past `target` (a sample time; infinity: none).
// A step that would end within rounding of (or past) a landing point ends
// exactly on it. points = 0 leaves the drive out (a given sim.dt_s: only the
// target shortens it). Pure: the same arguments give the same bits on every
// backend, and re-planning a step gives the step planned before.
IONRAIL_HD inline step_plan plan_step(double t, double dt_natural, double target, const double* times,
                                      const double* volts, int points, double dv_max, double rate_change_max) {
  double dt = dt_natural;
  double land = target;
  if (points > 0 && t < times[points - 1]) {
    // The segment [times[lo], times[lo + 1]) holding t; before the first
    // breakpoint the drive is held, and that breakpoint is the next one.
    double next = times[0];
    double slope = 0;
    if (t >= times[0]) {
      int lo = 0, hi = points - 1;  // times[lo] <= t < times[hi]
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (times[mid] <= t) lo = mid;
        else hi = mid;
      }
      next = times[hi];
      slope = (volts[hi] - volts[lo]) / (times[hi] - times[lo]);
    }
    const double abs_slope = slope < 0 ? -slope : slope;
    if (dv_max > 0 && abs_slope * dt > dv_max) {
      const double floor_dt = rate_change_max * dt_natural;
      const double drive_dt = dv_max / abs_slope;
      dt = drive_dt > floor_dt ? drive_dt : floor_dt;
    }
    land = next < land ? next : land;
  }
  step_plan plan;
  const bool bounded = land <= 1.7976931348623157e308;  // a target or a breakpoint ahead
  if (bounded && !(t + dt < land - (1e-9 * dt + 1e-12 * fabs(land)))) {
    plan.dt = land - t;
    plan.end = land;
  } else {
    plan.dt = dt;
    plan.end = t + dt;
  }
  return plan;
}

}  // namespace ionrail::kmc

namespace ionrail::kmc {

// The per-refresh table work, shared by the CPU solver and the CUDA prepare
// kernel so that both build the same tables in the same order.
// Layouts: counts and rates [(c·species + s)·width + q], width = sites + 2;
// bond fields [group·(sites − 1) + b]; site energies [c·sites + i].

// Ions per site of one field group (species-major, sites entries each),
// summed over the rail classes of that group.
// Entry k = s · sites + i of that table (an integer sum: exact in any order).
IONRAIL_HD inline long long group_site_count_at(const long long* counts, int classes, int species, int sites, int width,
                                                bool per_class_field, int group, int k) {
  const int s = k / sites, i = k % sites;
  long long sum = 0;
  for (int c = 0; c < classes; ++c)
    if ((per_class_field ? c : 0) == group) sum += counts[(c * species + s) * width + i + 1];
  return sum;
}

IONRAIL_HD inline void group_site_counts(const long long* counts, int classes, int species, int sites, int width,
                                         bool per_class_field, int group, long long* out) {
  for (int k = 0; k < species * sites; ++k)
    out[k] = group_site_count_at(counts, classes, species, sites, width, per_class_field, group, k);
}

// Rates out of stored position q of entry k = (c · species + s) · width + q;
// the wall positions q = 0 and q = sites + 1 get zero. Each entry depends on
// the fields alone, so the entries can be computed in any order or in parallel.
IONRAIL_HD inline site_rates rate_table_entry(const hop_params* hop, const double* bond_field, const double* site_energy,
                                              int species, int sites, bool per_class_field, int k) {
  const int width = sites + 2;
  const int combo = k / width, q = k % width;
  if (q == 0 || q == width - 1) return site_rates{};
  const int c = combo / species;
  const double* field = bond_field + (per_class_field ? c : 0) * (sites - 1);
  return hop_rates_at(hop[combo], field, site_energy + c * sites, sites, q);
}

// Rates out of every stored position for every (class, species).
IONRAIL_HD inline void fill_rate_table(const hop_params* hop, const double* bond_field, const double* site_energy,
                                       int classes, int species, int sites, bool per_class_field, site_rates* rates) {
  for (int k = 0; k < classes * species * (sites + 2); ++k)
    rates[k] = rate_table_entry(hop, bond_field, site_energy, species, sites, per_class_field, k);
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
