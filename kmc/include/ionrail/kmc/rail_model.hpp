#pragma once
// The rail model: ion positions, per-site counts, the mean field and the rate
// tables, plus the observables derived from them. It computes rates and
// applies hops; the solvers (sync, bkl) decide which hops happen and when.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/physics.hpp>

namespace ionrail::kmc {

class state_writer;
class state_reader;

// Positions as structure of arrays: row j+1 holds ion j of every rail
// (stored q = site + 1), row 0 and row n+1 are the wall sentinels.
struct rail_positions {
  int sites = 0;
  int rails = 0;
  int ions = 0;          // per rail
  int stride = 0;        // rails rounded up for alignment
  std::vector<std::uint16_t> q;       // (ions + 2) rows × stride
  std::vector<std::uint8_t> species;  // ions rows × stride; empty with one species
  std::vector<std::uint8_t> rail_class;  // per rail; empty with one class

  std::uint16_t* row(int ion) { return q.data() + static_cast<std::size_t>(ion + 1) * stride; }
  const std::uint16_t* row(int ion) const { return q.data() + static_cast<std::size_t>(ion + 1) * stride; }
  int species_of(int rail, int ion) const {
    return species.empty() ? 0 : species[static_cast<std::size_t>(ion) * stride + rail];
  }
  int class_of(int rail) const { return rail_class.empty() ? 0 : rail_class[rail]; }
};

struct observation {
  double f_left = 0;              // fraction of all ions in the first zone
  double f_right = 0;             // ... in the last zone
  double state = 0;               // readout state s
  double conductance_s = 0;       // G = clamp(g0 + g1 (s − s_eq))
  std::vector<double> zones;      // mean ions per zone per rail
};

struct transport_estimate {
  double elapsed_s = 0;
  double mean_displacement_m = 0;  // <Δx> per ion
  double tracer_msd_m2 = 0;        // <Δx²> per ion
  double com_msd_m2 = 0;           // <(Σ_j Δx_j)²> per rail
  double d_tracer_m2_s = 0;        // D* = <Δx²> / 2t
  double d_jump_m2_s = 0;          // D_J = <(ΣΔx)²> / (2 n t)
  double haven_ratio = 0;          // D* / D_J
  double conductivity_s_m = 0;     // Nernst–Einstein from D_J (0 without c0)
  double drift_velocity_m_s = 0;
};

// How far the ions of DEVICE moved, as a fraction of the rail's length L a
// (its thickness): the rms
// displacement, the larger of the tracer's and the centre of mass's per
// ion (2 t D_J). A closed rail bounds the displacements: for a walker
// between reflecting walls, started anywhere, MSD/2t falls short of D by
// 5 % when the rms displacement reaches 0.044 L a, by 15 % at 0.13 and
// tends to 0 (the MSD saturates at (L a)²/6). Beyond
// wall_free_confinement the MSDs measure the rail, not a diffusion
// coefficient.
inline constexpr double wall_free_confinement = 0.044;
inline double transport_confinement(const transport_estimate& e, const device_params& device) {
  return std::sqrt(std::max(e.tracer_msd_m2, 2 * e.elapsed_s * e.d_jump_m2_s)) / (device.thickness_nm * 1e-9);
}

class rail_model {
 public:
  rail_model(const device_params& device, std::uint64_t seed);

  const device_params& device() const { return device_; }
  int sites() const { return device_.sites; }
  int rails() const { return device_.rails; }
  int ions_per_rail() const { return pos_.ions; }
  int species_count() const { return static_cast<int>(device_.species.size()); }
  int class_count() const { return static_cast<int>(device_.classes.size()); }
  int combos() const { return class_count() * species_count(); }
  int combo(int rail, int ion) const { return pos_.class_of(rail) * species_count() + pos_.species_of(rail, ion); }
  int table_width() const { return device_.sites + 2; }
  bool space_charge() const { return space_charge_v_per_m_ != 0.0; }

  rail_positions& positions() { return pos_; }
  const rail_positions& positions() const { return pos_; }

  // counts()[combo * table_width() + q]: ions of that (class, species) at q.
  std::vector<long long>& counts() { return counts_; }
  const std::vector<long long>& counts() const { return counts_; }
  void recount();

  // Recomputes the bond fields of every field group from counts() at V.
  void refresh_fields(double voltage_v);
  const double* bond_field(int group) const { return bond_field_.data() + static_cast<std::size_t>(group) * (sites() - 1); }
  int field_group_of_class(int c) const { return device_.field_per_class ? c : 0; }
  int field_groups() const { return device_.field_per_class ? class_count() : 1; }

  // Rates out of every stored position for every combo, from the current fields.
  void fill_rates(std::vector<site_rates>& rates) const;
  // Largest Γ+ + Γ− over sites and combos when every bond carries ±field.
  double max_rate_sum(double field_v_per_m) const;
  // The automatic step's first estimate, before any field refresh: p_max over
  // the largest total rate in the applied field of voltage_v alone.
  double first_step_estimate(double p_max, double voltage_v, double dt_max = 0) const {
    return capped_step(p_max / max_rate_sum(voltage_v / (device_.thickness_nm * 1e-9)), dt_max);
  }

  const hop_params& hop(int combo) const { return hop_[combo]; }
  // d ln Γ / dV of the applied-field term of hop_rate, largest over the
  // (class, species) pairs: half_beta · |z| a / d per volt.
  double log_rate_per_volt() const {
    double worst = 0;
    for (const hop_params& h : hop_) {
      const double per_volt = h.half_beta_per_ev * std::fabs(h.charge_spacing_m) / (device_.thickness_nm * 1e-9);
      worst = per_volt > worst ? per_volt : worst;
    }
    return worst;
  }
  int charge_of_combo(int combo) const { return device_.species[combo % species_count()].charge; }
  // Σ z q over all ions: its change is the net charge moved right, in hops.
  long long charge_position_sum() const;
  const std::vector<int>& combo_charges() const { return combo_charge_; }
  const readout_hd& readout() const { return readout_; }
  // What a backend needs to rebuild fields and rate tables itself.
  field_params field_parameters() const { return make_field_params(); }
  const std::vector<double>& rails_in_group() const { return rails_in_group_; }
  // ε per class and site, class-major (classes × sites).
  const std::vector<double>& site_energies() const { return site_energy_; }
  const std::vector<double>& species_fill() const { return fill_; }
  const std::vector<int>& species_charge() const { return charge_; }

  observation observe() const;
  // Mean ions per site over all rails, site by site.
  std::vector<double> site_occupancy() const;
  // G alone, cheaply (the solvers need it every step or event for ∫ I V dt).
  double conductance_s() const;
  // Current through the device per net charge hop per second summed over the
  // simulated rails: e (a/d) N_device / rails.
  double current_per_hop_rate_a() const { return current_per_hop_rate_; }
  double rails_in_device() const { return device_rails_; }

  void set_transport_reference(double t_s);
  transport_estimate transport(double t_s) const;

  // Checkpoints: positions, counts, bond fields and the transport reference.
  // load_state checks that the state fits this configuration (sizes, species
  // order, positions ordered between the walls, counts matching them).
  void save_state(state_writer& out) const;
  void load_state(state_reader& in);

 private:
  void place_initial_ions(std::uint64_t seed);
  field_params make_field_params() const;

  device_params device_;
  rail_positions pos_;
  std::vector<long long> counts_;
  std::vector<hop_params> hop_;                    // per combo
  std::vector<double> site_energy_;                // classes × sites
  std::vector<int> charge_;
  std::vector<double> fill_;
  double space_charge_v_per_m_ = 0;                // e c0 a / (ε0 εr)
  std::vector<double> rails_in_group_;
  std::vector<double> bond_field_;                 // groups × (sites − 1)
  mutable std::vector<long long> group_counts_;    // scratch: species × sites
  std::vector<double> site_scratch_;               // scratch: sites
  std::vector<int> zone_of_site_;
  readout_hd readout_;
  std::vector<int> combo_charge_;
  double current_per_hop_rate_ = 0;
  double device_rails_ = 0;
  std::vector<std::uint16_t> reference_q_;
  double reference_t_ = 0;
};

// rail_model::max_rate_sum without building the model (no positions are
// allocated): for checks of a configuration before it is run.
double max_rate_sum(const device_params& device, double field_v_per_m);

}  // namespace ionrail::kmc
