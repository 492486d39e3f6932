#include <ionrail/kmc/rail_model.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <ionrail/kmc/counter_draws.hpp>
#include <ionrail/kmc/state_io.hpp>

namespace ionrail::kmc {
namespace {
constexpr double boltzmann_j_per_k = 1.380649e-23;

// Hop parameters per (class, species) combo and site energies per class and
// site (class-major), as the model keeps them.
void hop_tables(const device_params& device, std::vector<hop_params>& hops, std::vector<double>& energies) {
  const int L = device.sites;
  const double a = device.spacing_m();
  for (const auto& cls : device.classes) {
    const std::vector<double>& eps = !cls.site_energy_ev.empty() ? cls.site_energy_ev : device.site_energy_ev;
    if (eps.empty())
      energies.insert(energies.end(), L, 0.0);
    else
      energies.insert(energies.end(), eps.begin(), eps.end());
    for (const auto& sp : device.species) {
      hop_params h;
      h.base_rate_hz = base_hop_rate(sp.attempt_frequency_hz * cls.attempt_frequency_scale,
                                     sp.activation_energy_ev + cls.activation_shift_ev, device.temperature_k);
      h.half_beta_per_ev = 1.0 / (2.0 * boltzmann_ev_per_k * device.temperature_k);
      h.charge_spacing_m = sp.charge * a;
      hops.push_back(h);
    }
  }
}

double max_rate_sum_of(const std::vector<hop_params>& hops, const std::vector<double>& energies, int classes, int species,
                       int sites, double field_v_per_m) {
  const int L = sites, S = species;
  double worst = 0;
  for (double sign : {1.0, -1.0}) {
    const std::vector<double> uniform(L - 1, sign * field_v_per_m);
    for (int c = 0; c < classes; ++c)
      for (int s = 0; s < S; ++s)
        for (int q = 1; q <= L; ++q) {
          const site_rates r =
              hop_rates_at(hops[c * S + s], uniform.data(), energies.data() + static_cast<std::size_t>(c) * L, L, q);
          worst = std::max(worst, r.right + r.left);
        }
  }
  return worst;
}
}  // namespace

double max_rate_sum(const device_params& device, double field_v_per_m) {
  validate(device);
  std::vector<hop_params> hops;
  std::vector<double> energies;
  hop_tables(device, hops, energies);
  return max_rate_sum_of(hops, energies, static_cast<int>(device.classes.size()), static_cast<int>(device.species.size()),
                         device.sites, field_v_per_m);
}

rail_model::rail_model(const device_params& device, std::uint64_t seed) : device_(device) {
  validate(device_);
  const int L = device_.sites;
  const int S = species_count();
  const double a = device_.spacing_m();
  const double d = device_.thickness_nm * 1e-9;

  const std::vector<int> n_s = device_.species_counts();
  for (int s = 0; s < S; ++s) {
    charge_.push_back(device_.species[s].charge);
    fill_.push_back(static_cast<double>(n_s[s]) / L);
  }

  hop_tables(device_, hop_, site_energy_);

  space_charge_v_per_m_ = elementary_charge_c * device_.ion_density_m3 * a /
                          (vacuum_permittivity_f_per_m * device_.rel_permittivity);

  pos_.sites = L;
  pos_.rails = device_.rails;
  pos_.ions = device_.ions_per_rail();
  pos_.stride = (device_.rails + 63) / 64 * 64;
  place_initial_ions(seed);

  rails_in_group_.assign(field_groups(), 0.0);
  for (int r = 0; r < device_.rails; ++r) rails_in_group_[field_group_of_class(pos_.class_of(r))] += 1.0;
  bond_field_.assign(static_cast<std::size_t>(field_groups()) * (L - 1), 0.0);
  group_counts_.assign(static_cast<std::size_t>(S) * L, 0);
  site_scratch_.assign(static_cast<std::size_t>(L), 0.0);
  recount();

  const int Z = device_.zones;
  zone_of_site_.resize(L);
  int last_zone_sites = 0, first_zone_sites = 0;
  for (int i = 0; i < L; ++i) {
    zone_of_site_[i] = static_cast<int>(static_cast<long long>(i) * Z / L);
    last_zone_sites += zone_of_site_[i] == Z - 1;
    first_zone_sites += zone_of_site_[i] == 0;
  }
  const bool right = device_.readout.source == readout_source::f_right;
  const auto& ro = device_.readout;
  readout_.first_q = right ? L - last_zone_sites + 1 : 1;
  readout_.last_q = right ? L : first_zone_sites;
  readout_.s_eq = static_cast<double>(right ? last_zone_sites : first_zone_sites) / L;
  readout_.g0 = ro.g0_s;
  readout_.g1 = ro.g1_s;
  readout_.g_min = ro.g_min_s;
  readout_.g_max = ro.g_max_s;
  readout_.ions_total = static_cast<double>(pos_.ions) * device_.rails;
  for (int k = 0; k < combos(); ++k) combo_charge_.push_back(charge_of_combo(k));

  const double area_m2 = device_.area_um2 * 1e-12;
  if (device_.rails_per_area_m2 > 0)
    device_rails_ = device_.rails_per_area_m2 * area_m2;
  else if (device_.ion_density_m3 > 0)
    device_rails_ = area_m2 * device_.ion_density_m3 * d / pos_.ions;
  else
    device_rails_ = area_m2 / (a * a);
  current_per_hop_rate_ = elementary_charge_c * (a / d) * device_rails_ / device_.rails;
  set_transport_reference(0.0);
}

void rail_model::place_initial_ions(std::uint64_t seed) {
  const int L = pos_.sites, R = pos_.rails, n = pos_.ions, S = species_count(), C = class_count();
  pos_.q.assign(static_cast<std::size_t>(n + 2) * pos_.stride, 0);
  std::fill(pos_.q.begin() + static_cast<std::ptrdiff_t>(n + 1) * pos_.stride, pos_.q.end(),
            static_cast<std::uint16_t>(L + 1));
  if (S > 1) pos_.species.assign(static_cast<std::size_t>(n) * pos_.stride, 0);
  if (C > 1) {
    pos_.rail_class.assign(pos_.stride, 0);
    int begin = 0;
    for (int c = 0; c < C; ++c) {
      const int count = c + 1 == C ? R - begin : static_cast<int>(std::lround(device_.classes[c].fraction * R));
      const int end = std::min(R, begin + count);
      std::fill(pos_.rail_class.begin() + begin, pos_.rail_class.begin() + end, static_cast<std::uint8_t>(c));
      begin = end;
    }
  }

  std::vector<int> species_multiset;
  const std::vector<int> n_s = device_.species_counts();
  for (int s = 0; s < S; ++s) species_multiset.insert(species_multiset.end(), n_s[s], s);

  const bool weighted = !device_.initial_profile.empty();
  std::vector<std::uint16_t> sites(L);
  std::vector<double> weight;
  std::vector<std::uint16_t> chosen(n);
  for (int r = 0; r < R; ++r) {
    counter_draws draws(seed, draw_stream::initial, static_cast<std::uint64_t>(r));
    if (!weighted) {
      // Partial Fisher–Yates: n distinct sites, uniformly.
      std::iota(sites.begin(), sites.end(), std::uint16_t{0});
      for (int i = 0; i < n; ++i) {
        const int j = i + static_cast<int>(draws.below(static_cast<std::uint32_t>(L - i)));
        std::swap(sites[i], sites[j]);
        chosen[i] = sites[i];
      }
    } else {
      // Sequential sampling without replacement, proportional to the profile.
      weight = device_.initial_profile;
      for (int i = 0; i < n; ++i) {
        double total = 0;
        for (double w : weight) total += w;
        const double target = draws.unit() * total;
        double cumulative = 0;
        int pick = -1;
        for (int k = 0; k < L; ++k) {
          if (weight[k] <= 0) continue;
          cumulative += weight[k];
          pick = k;
          if (cumulative >= target) break;
        }
        chosen[i] = static_cast<std::uint16_t>(pick);
        weight[pick] = 0;
      }
    }
    std::sort(chosen.begin(), chosen.end());
    for (int j = 0; j < n; ++j) pos_.row(j)[r] = static_cast<std::uint16_t>(chosen[j] + 1);
    if (S > 1) {
      std::vector<int> order = species_multiset;
      for (int i = n - 1; i > 0; --i) std::swap(order[i], order[draws.below(static_cast<std::uint32_t>(i + 1))]);
      for (int j = 0; j < n; ++j) pos_.species[static_cast<std::size_t>(j) * pos_.stride + r] = static_cast<std::uint8_t>(order[j]);
    }
  }
}

void rail_model::recount() {
  const int W = table_width();
  counts_.assign(static_cast<std::size_t>(combos()) * W, 0);
  for (int j = 0; j < pos_.ions; ++j) {
    const std::uint16_t* row = pos_.row(j);
    for (int r = 0; r < pos_.rails; ++r) ++counts_[static_cast<std::size_t>(combo(r, j)) * W + row[r]];
  }
}

field_params rail_model::make_field_params() const {
  field_params p;
  p.sites = device_.sites;
  p.species = species_count();
  p.inv_thickness_per_m = 1.0 / (device_.thickness_nm * 1e-9);
  p.space_charge_v_per_m = space_charge_v_per_m_;
  p.charge = charge_.data();
  p.fill = fill_.data();
  p.fill_total = std::accumulate(fill_.begin(), fill_.end(), 0.0);
  return p;
}

void rail_model::refresh_fields(double voltage_v) {
  const field_params p = make_field_params();
  const int L = sites();
  for (int g = 0; g < field_groups(); ++g) {
    group_site_counts(counts_.data(), class_count(), species_count(), L, table_width(), device_.field_per_class, g,
                      group_counts_.data());
    bond_fields(p, voltage_v, group_counts_.data(), rails_in_group_[g],
                bond_field_.data() + static_cast<std::size_t>(g) * (L - 1), site_scratch_.data());
  }
}

void rail_model::fill_rates(std::vector<site_rates>& rates) const {
  rates.resize(static_cast<std::size_t>(combos()) * table_width());
  fill_rate_table(hop_.data(), bond_field_.data(), site_energy_.data(), class_count(), species_count(), sites(),
                  device_.field_per_class, rates.data());
}

double rail_model::max_rate_sum(double field_v_per_m) const {
  return max_rate_sum_of(hop_, site_energy_, class_count(), species_count(), sites(), field_v_per_m);
}

long long rail_model::charge_position_sum() const {
  return kmc::charge_position_sum(counts_.data(), combo_charge_.data(), combos(), table_width());
}

observation rail_model::observe() const {
  const int L = sites(), W = table_width(), Z = device_.zones;
  observation o;
  std::vector<long long> zone_counts(Z, 0);
  long long total = 0;
  for (int k = 0; k < combos(); ++k)
    for (int i = 0; i < L; ++i) {
      const long long c = counts_[static_cast<std::size_t>(k) * W + i + 1];
      zone_counts[zone_of_site_[i]] += c;
      total += c;
    }
  o.zones.resize(Z);
  for (int z = 0; z < Z; ++z) o.zones[z] = static_cast<double>(zone_counts[z]) / rails();
  o.f_left = static_cast<double>(zone_counts[0]) / static_cast<double>(total);
  o.f_right = static_cast<double>(zone_counts[Z - 1]) / static_cast<double>(total);
  o.state = device_.readout.source == readout_source::f_right ? o.f_right : o.f_left;
  o.conductance_s = device_.readout.conductance(o.state, readout_.s_eq);
  return o;
}

std::vector<double> rail_model::site_occupancy() const {
  const int L = sites(), W = table_width();
  std::vector<double> o(L, 0.0);
  for (int k = 0; k < combos(); ++k)
    for (int i = 0; i < L; ++i) o[i] += static_cast<double>(counts_[static_cast<std::size_t>(k) * W + i + 1]);
  for (double& v : o) v /= rails();
  return o;
}

double rail_model::conductance_s() const {
  return readout_conductance(readout_, counts_.data(), combos(), table_width());
}

void rail_model::set_transport_reference(double t_s) {
  reference_q_.assign(pos_.q.begin(), pos_.q.end());
  reference_t_ = t_s;
}

transport_estimate rail_model::transport(double t_s) const {
  transport_estimate e;
  e.elapsed_s = t_s - reference_t_;
  const int n = pos_.ions, R = pos_.rails;
  const double a = device_.spacing_m();
  double sum_dx = 0, sum_dx2 = 0, sum_com2 = 0, sum_z2 = 0;
  for (int r = 0; r < R; ++r) {
    long long com = 0;
    for (int j = 0; j < n; ++j) {
      const std::size_t idx = static_cast<std::size_t>(j + 1) * pos_.stride + r;
      const long long dx = static_cast<long long>(pos_.q[idx]) - reference_q_[idx];
      com += dx;
      sum_dx2 += static_cast<double>(dx * dx);
      const int z = device_.species[pos_.species_of(r, j)].charge;
      sum_z2 += z * z;
    }
    sum_dx += static_cast<double>(com);
    sum_com2 += static_cast<double>(com) * static_cast<double>(com);
  }
  const double ions = static_cast<double>(n) * R;
  e.mean_displacement_m = sum_dx / ions * a;
  e.tracer_msd_m2 = sum_dx2 / ions * a * a;
  e.com_msd_m2 = sum_com2 / R * a * a;
  if (e.elapsed_s > 0) {
    e.d_tracer_m2_s = e.tracer_msd_m2 / (2 * e.elapsed_s);
    e.d_jump_m2_s = e.com_msd_m2 / (2.0 * n * e.elapsed_s);
    e.haven_ratio = e.d_jump_m2_s > 0 ? e.d_tracer_m2_s / e.d_jump_m2_s : 0.0;
    e.drift_velocity_m_s = e.mean_displacement_m / e.elapsed_s;
    const double mean_z2 = sum_z2 / ions;
    e.conductivity_s_m = device_.ion_density_m3 * mean_z2 * elementary_charge_c * elementary_charge_c *
                         e.d_jump_m2_s / (boltzmann_j_per_k * device_.temperature_k);
  }
  return e;
}

void rail_model::save_state(state_writer& out) const {
  out.put_tag("rail_model");
  out.put_vector(pos_.q);
  out.put_vector(pos_.species);
  out.put_vector(counts_);
  out.put_vector(bond_field_);
  out.put_vector(reference_q_);
  out.put(reference_t_);
}

void rail_model::load_state(state_reader& in) {
  in.expect_tag("rail_model");
  std::vector<std::uint16_t> q;
  std::vector<std::uint8_t> species;
  in.get_vector(q, pos_.q.size(), "positions");
  in.get_vector(species, pos_.species.size(), "species order");
  if (species != pos_.species) in.fail("the species order differs (another sim.seed or configuration?)");
  // Every rail: walls in place, ions strictly ordered between them.
  const int L = pos_.sites, n = pos_.ions;
  const std::size_t stride = static_cast<std::size_t>(pos_.stride);
  for (int r = 0; r < pos_.rails; ++r) {
    if (q[r] != 0 || q[static_cast<std::size_t>(n + 1) * stride + r] != L + 1) in.fail("a wall sentinel was overwritten");
    for (int j = 0; j <= n; ++j)
      if (!(q[static_cast<std::size_t>(j) * stride + r] < q[static_cast<std::size_t>(j + 1) * stride + r]))
        in.fail("positions of rail " + std::to_string(r) + " are not ordered between the walls");
  }
  std::vector<long long> counts;
  in.get_vector(counts, counts_.size(), "site counts");
  in.get_vector(bond_field_, bond_field_.size(), "bond fields");
  in.get_vector(reference_q_, reference_q_.size(), "transport reference");
  reference_t_ = in.get<double>();
  pos_.q = std::move(q);
  recount();
  if (counts != counts_) in.fail("site counts do not match the positions");
}

}  // namespace ionrail::kmc
