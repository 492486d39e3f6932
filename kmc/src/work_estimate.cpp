#include <ionrail/kmc/work_estimate.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>

#include <ionrail/kmc/rail_model.hpp>

namespace ionrail::kmc {

bool work_estimate::finite() const { return std::isfinite(steps) && std::isfinite(attempts) && std::isfinite(peak_rate_hz); }

namespace {

// The estimate, and the attempts done by each breakpoint if `profile` is given.
work_estimate estimate(const device_params& device, const sim_params& sim, const piecewise_linear_voltage& drive,
                       std::vector<double>* profile) {
  const double thickness_m = device.thickness_nm * 1e-9;
  const double ions = static_cast<double>(device.rails) * device.ions_per_rail();
  // The rate depends on |V| alone; pulse trains repeat a few levels.
  std::map<double, double> rate_at;
  auto rate = [&](double v) {
    const double key = std::fabs(v);
    auto it = rate_at.find(key);
    if (it == rate_at.end()) {
      const double r = max_rate_sum(device, key / thickness_m);
      // Past exp()'s range a rate is inf or, as inf·0, NaN: both are "too fast".
      it = rate_at.emplace(key, r <= std::numeric_limits<double>::max() ? r : INFINITY).first;
    }
    return it->second;
  };
  const bool automatic = !(sim.dt_s > 0);
  auto step_at = [&](double r) { return automatic ? capped_step(r > 0 ? sim.p_max / r : INFINITY, sim.dt_max_s) : sim.dt_s; };
  // The automatic step's drive bound (plan_step): ΔV per step, no shorter
  // than rate_change_max times the p_max step. d ln Γ / dV = |z| / (2 L kT/e).
  int max_charge = 0;
  for (const auto& sp : device.species) max_charge = std::max(max_charge, std::abs(sp.charge));
  const double dv_max =
      drive_change_bound_v(sim.rate_change_max, max_charge / (2.0 * device.sites * boltzmann_ev_per_k * device.temperature_k));
  auto drive_step = [&](double step, double slope) {
    if (!automatic || !(dv_max > 0) || !(slope * step > dv_max)) return step;
    return std::min(step, std::max(dv_max / slope, sim.rate_change_max * step));
  };

  work_estimate w;
  const auto& t = drive.times_s();
  const auto& v = drive.volts();
  // Ramps are cut into pieces, each at its own largest |V|, so a ramp is
  // not charged at its peak throughout.
  const int pieces = t.size() > 100000 ? 1 : 8;
  const double per_step = sim.solver == method::bkl ? bkl_event_attempts : ions;
  if (profile) profile->assign(1, 0.0);
  for (std::size_t k = 0; k + 1 < t.size(); ++k) {
    const double span = t[k + 1] - t[k];
    if (profile && k > 0) profile->push_back(w.steps * per_step);
    if (!(span > 0)) continue;
    const int n = v[k] == v[k + 1] ? 1 : pieces;
    for (int p = 0; p < n; ++p) {
      const double va = v[k] + (v[k + 1] - v[k]) * p / n, vb = v[k] + (v[k + 1] - v[k]) * (p + 1) / n;
      const double vmax = std::max(std::fabs(va), std::fabs(vb));
      const double r = rate(vmax);
      const double dt = span / n;
      if (r > w.peak_rate_hz || (r == w.peak_rate_hz && vmax > w.peak_voltage_v)) {
        w.peak_rate_hz = r;
        w.peak_voltage_v = vmax;
      }
      if (sim.solver == method::bkl) {
        w.steps += dt * r * ions;
      } else {
        const double step = drive_step(step_at(r), std::fabs(v[k + 1] - v[k]) / span);
        w.steps += dt / step;
        w.smallest_step_s = w.smallest_step_s > 0 ? std::min(w.smallest_step_s, step) : step;
      }
    }
  }
  if (profile && t.size() > 1) profile->push_back(w.steps * per_step);
  if (t.size() < 2) w.peak_rate_hz = rate(drive.volts().empty() ? 0.0 : drive.volts().front());
  w.attempts = w.steps * per_step;
  return w;
}

}  // namespace

work_estimate estimate_work(const device_params& device, const sim_params& sim, const piecewise_linear_voltage& drive) {
  return estimate(device, sim, drive, nullptr);
}

work_profile estimate_work_profile(const device_params& device, const sim_params& sim, const piecewise_linear_voltage& drive) {
  work_profile p;
  p.t_s = drive.times_s();
  estimate(device, sim, drive, &p.attempts);
  if (p.attempts.size() != p.t_s.size()) p.attempts.assign(p.t_s.size(), 0.0);  // a single-point drive
  return p;
}

double work_profile::at(double t) const {
  if (t_s.empty()) return 0.0;
  if (t <= t_s.front()) return attempts.front();
  if (t >= t_s.back()) return attempts.back();
  const auto k = static_cast<std::size_t>(std::upper_bound(t_s.begin(), t_s.end(), t) - t_s.begin());
  const double span = t_s[k] - t_s[k - 1];
  return span > 0 ? attempts[k - 1] + (attempts[k] - attempts[k - 1]) * (t - t_s[k - 1]) / span : attempts[k];
}

std::string work_refusal(const work_estimate& w, const device_params& device, const sim_params& sim, double limit) {
  if (w.finite() && w.attempts <= limit) return {};
  std::ostringstream os;
  os.precision(3);
  if (!std::isfinite(w.peak_rate_hz)) {
    // The field's energy per hop, z e E a / 2kT = z V / (2 sites kT/e),
    // depends on the voltage per site, not on the thickness.
    int z = 0;
    for (const auto& s : device.species) z = std::max(z, std::abs(s.charge));
    const double per_hop = z * w.peak_voltage_v / device.sites / (2 * boltzmann_ev_per_k * device.temperature_k);
    os << "the hop rate overflows at |V| = " << w.peak_voltage_v << " V: the field lowers a barrier by " << per_hop
       << " kT per hop over device.sites = " << device.sites << " at device.temperature_k = " << device.temperature_k
       << " (exp() ends at 709): lower the protocol's voltage, or use more device.sites";
    return os.str();
  }
  os << "this run would take about " << w.attempts << " hop attempts, beyond the limit of " << limit << " (";
  if (sim.solver == method::bkl) {
    os << w.steps << " BKL events of " << device.rails << " rails × " << device.ions_per_rail()
       << " ions at up to " << w.peak_rate_hz << " Hz per ion, |V| = " << w.peak_voltage_v
       << " V): use sim.method = \"sync\", or fewer device.rails, a lower voltage or a shorter protocol";
  } else if (sim.dt_s > 0) {
    os << w.steps << " steps of sim.dt_s = " << sim.dt_s << " s × " << device.rails << " rails × " << device.ions_per_rail()
       << " ions): raise sim.dt_s (0: automatic), or use fewer device.rails or a shorter protocol";
  } else {
    os << w.steps << " automatic steps, down to " << w.smallest_step_s << " s where the hop rate is " << w.peak_rate_hz
       << " Hz at |V| = " << w.peak_voltage_v << " V, × " << device.rails << " rails × " << device.ions_per_rail()
       << " ions): lower the protocol's voltage, shorten the protocol, or use fewer device.rails";
    if (sim.dt_max_s > 0 && w.smallest_step_s >= sim.dt_max_s) os << " (sim.dt_max_s = " << sim.dt_max_s << " s caps the step)";
  }
  os << "; or raise the limit with --max-work";
  return os.str();
}

}  // namespace ionrail::kmc
