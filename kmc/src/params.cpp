#include <ionrail/kmc/params.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace ionrail::kmc {
namespace {

template <class T>
[[noreturn]] void fail(const std::string& key, T value, const std::string& range) {
  std::ostringstream os;
  os << key << " = " << value << ": " << range;
  throw std::invalid_argument(os.str());
}

void require_finite_range(const std::string& key, double v, double lo, double hi, const std::string& range) {
  if (!std::isfinite(v) || v < lo || v > hi) fail(key, v, range);
}

void require_positive(const std::string& key, double v) {
  if (!std::isfinite(v) || !(v > 0)) fail(key, v, "must be finite and > 0");
}

void check_landscape(const std::string& key, const std::vector<double>& values, int sites) {
  if (values.empty()) return;
  if (static_cast<int>(values.size()) != sites)
    fail(key + " (entries)", values.size(), "must list one value per site (" + std::to_string(sites) + ")");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) fail(key + "[" + std::to_string(i) + "]", values[i], "must be finite");
}

}  // namespace

int species_params::ions_per_rail(int sites) const {
  return ions > 0 ? ions : static_cast<int>(std::lround(fill * sites));
}

std::vector<int> device_params::species_counts() const {
  std::vector<int> n;
  for (const auto& s : species) n.push_back(s.ions_per_rail(sites));
  return n;
}

int device_params::ions_per_rail() const {
  int total = 0;
  for (int n : species_counts()) total += n;
  return total;
}

void validate(const device_params& d) {
  require_positive("device.thickness_nm", d.thickness_nm);
  if (d.sites < 2 || d.sites > 65533) fail("device.sites", d.sites, "must be in [2, 65533]");
  if (d.rails < 1) fail("device.rails", d.rails, "must be >= 1");
  if (d.rails > max_rails) fail("device.rails", d.rails, "must be <= " + std::to_string(max_rails));
  require_positive("device.temperature_k", d.temperature_k);
  require_finite_range("device.ion_density_m3", d.ion_density_m3, 0.0, 1e30, "must be in [0, 1e30] (0: no space charge)");
  require_positive("device.rel_permittivity", d.rel_permittivity);
  if (d.species.empty() || d.species.size() > 255) fail("species (count)", d.species.size(), "must be in [1, 255]");
  bool given_ions = false;
  for (std::size_t i = 0; i < d.species.size(); ++i) {
    const auto& s = d.species[i];
    const std::string k = "species[" + std::to_string(i) + "].";
    if (s.charge == 0 || s.charge < -8 || s.charge > 8) fail(k + "charge", s.charge, "must be a non-zero integer in [-8, 8]");
    require_finite_range(k + "activation_energy_ev", s.activation_energy_ev, 0.0, 10.0, "must be in [0, 10] eV");
    require_positive(k + "attempt_frequency_hz", s.attempt_frequency_hz);
    require_finite_range(k + "fill", s.fill, 0.0, 1.0, "must be in [0, 1] ions per site");
    if (s.ions < 0) fail(k + "ions", s.ions, "must be >= 1 ions per rail (0: from fill)");
    if (s.ions > d.sites) fail(k + "ions", s.ions, "must not exceed device.sites = " + std::to_string(d.sites));
    given_ions = given_ions || s.ions > 0;
  }
  // Named by what gave the counts: fill, ions or both.
  bool from_fill = false;
  for (const auto& s : d.species) from_fill = from_fill || s.ions == 0;
  const std::string what = std::string("species ") + (given_ions ? (from_fill ? "fill and ions" : "ions") : "fill") +
                           " (ions per rail)";
  const int n = d.ions_per_rail();
  if (n < 1) fail(what, n, "must give at least one ion per rail");
  if (n > d.sites) fail(what, n, "must not exceed device.sites = " + std::to_string(d.sites));
  if (d.classes.empty() || d.classes.size() > 255) fail("rail_class (count)", d.classes.size(), "must be in [1, 255]");
  double fraction_sum = 0;
  for (std::size_t i = 0; i < d.classes.size(); ++i) {
    const auto& c = d.classes[i];
    const std::string k = "rail_class[" + std::to_string(i) + "].";
    require_finite_range(k + "fraction", c.fraction, 1e-12, 1.0, "must be in (0, 1]");
    require_finite_range(k + "activation_shift_ev", c.activation_shift_ev, -10.0, 10.0, "must be in [-10, 10] eV");
    require_positive(k + "attempt_frequency_scale", c.attempt_frequency_scale);
    check_landscape(k + "site_energy_ev", c.site_energy_ev, d.sites);
    fraction_sum += c.fraction;
    for (const auto& sp : d.species)
      if (sp.activation_energy_ev + c.activation_shift_ev < 0)
        fail(k + "activation_shift_ev", c.activation_shift_ev, "must leave every species' Ea + shift >= 0");
  }
  if (std::fabs(fraction_sum - 1.0) > 1e-9) fail("rail_class fractions (sum)", fraction_sum, "must sum to 1");
  check_landscape("device.site_energy_ev", d.site_energy_ev, d.sites);
  check_landscape("device.initial_profile", d.initial_profile, d.sites);
  if (!d.initial_profile.empty()) {
    int positive = 0;
    for (std::size_t i = 0; i < d.initial_profile.size(); ++i) {
      if (d.initial_profile[i] < 0)
        fail("device.initial_profile[" + std::to_string(i) + "]", d.initial_profile[i], "weights must be >= 0");
      positive += d.initial_profile[i] > 0;
    }
    if (positive < n)
      fail("device.initial_profile (sites with weight > 0)", positive,
           "must be at least the ions per rail (" + std::to_string(n) + ")");
  }
  if (d.zones < 1 || d.zones > d.sites) fail("device.zones", d.zones, "must be in [1, sites]");
  // At most 1 m²: the device current scales with the area, and past ~1e290
  // µm² it overflowed to inf (and the energy to NaN) with exit 0.
  require_finite_range("device.area_um2", d.area_um2, std::numeric_limits<double>::min(), 1e12,
                       "must be in (0, 1e12] um^2 (at most 1 m^2)");
  require_finite_range("device.rails_per_area_m2", d.rails_per_area_m2, 0.0, 1e30, "must be >= 0 (0: derived)");
  const auto& r = d.readout;
  require_finite_range("readout.g0_s", r.g0_s, -1e3, 1e3, "must be finite, |g0| <= 1e3 S");
  require_finite_range("readout.g1_s", r.g1_s, -1e3, 1e3, "must be finite, |g1| <= 1e3 S");
  require_finite_range("readout.g_min_s", r.g_min_s, 0.0, 1e3, "must be in [0, 1e3] S");
  require_finite_range("readout.g_max_s", r.g_max_s, r.g_min_s, 1e3, "must be in [g_min_s, 1e3] S");
  // Each rail class must receive at least one rail.
  for (std::size_t i = 0; i < d.classes.size(); ++i)
    if (std::lround(d.classes[i].fraction * d.rails) < 1)
      fail("rail_class[" + std::to_string(i) + "].fraction", d.classes[i].fraction,
           "gives no rail out of device.rails = " + std::to_string(d.rails));
}

void validate(const sim_params& s) {
  require_finite_range("sim.dt_s", s.dt_s, 0.0, 1e9, "must be >= 0 (0: automatic from p_max)");
  if (!(s.p_max > 0 && s.p_max < 1)) fail("sim.p_max", s.p_max, "must be in (0, 1)");
  require_finite_range("sim.dt_max_s", s.dt_max_s, 0.0, 1e9, "must be >= 0 (0: no cap on the automatic step)");
  require_finite_range("sim.rate_change_max", s.rate_change_max, 0.0, 10.0,
                       "must be in [0, 10] (0: no bound on the drive's change per automatic step)");
  if (s.field_every < 1) fail("sim.field_every", s.field_every, "must be >= 1");
  if (s.threads < 0 || s.threads > 4096) fail("sim.threads", s.threads, "must be in [0, 4096] (0: all cores)");
}

void validate(const device_params& d, const sim_params& s) {
  validate(d);
  validate(s);
  const double ions = static_cast<double>(d.rails) * d.ions_per_rail();
  if (s.solver == method::bkl && ions > max_bkl_ions) {
    std::ostringstream range;
    range << "holds at most " << static_cast<long long>(max_bkl_ions)
          << " ions (32-bit ion ids), rails x ions per rail = " << static_cast<long long>(ions)
          << "; use \"sync\" or fewer rails";
    fail("sim.method", "\"bkl\"", range.str());
  }
}

const char* to_string(method m) { return m == method::sync ? "sync" : "bkl"; }

}  // namespace ionrail::kmc
