#include <ionrail/calibration/fidelity.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/kmc/counter_draws.hpp>
#include <ionrail/model/device.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::calibration {

replay_trace replay_steps(const model::table& table, const replay_setup& r) {
  // Model devices: no parameter variation (the KMC devices are identical),
  // noise on, started like a fresh KMC ensemble: its devices begin with the
  // material's initial placement, whose device-to-device variance
  // (initial_variance, measured at calibration) exceeds the one at rest. Its
  // slow part (initial_slow_variance: what is left after 1 s) goes to the
  // slow state, the rest to δ, which relaxes it within a few steps. A table
  // without the fluctuation (state_variables = 1) puts it all in s.
  const auto view = table.view();
  const model::q_state s_rest = model::q_state::from_double(r.s_eq);
  const bool has_fluct = table.fluct_rho.raw() > 0 &&
                         model::fluct_at(view, s_rest, model::q_volt::zero()).raw() > 0;
  const double var_slow = has_fluct ? std::min(r.var_initial, r.var_initial_slow) : r.var_initial;
  const double var_fast = r.var_initial - var_slow;
  std::vector<model::device> dev;
  for (int d = 0; d < r.devices; ++d) {
    kmc::counter_draws draw(r.sim.seed, static_cast<kmc::draw_stream>(4), static_cast<std::uint64_t>(d));
    auto normal = [&] { return std::sqrt(-2 * std::log(draw.unit())) * std::cos(2 * M_PI * draw.unit()); };
    model::device m = model::make_device(r.sim.seed * 7919 + static_cast<std::uint64_t>(d),
                                         model::variation_params::none(), s_rest, r.noise);
    if (r.noise) {
      m.state = model::q_state::from_double(std::clamp(r.s_eq + std::sqrt(var_slow) * normal(), 0.0, 1.0));
      m.fluct = model::q_fluct::from_double(std::clamp(std::sqrt(var_fast) * normal(), -1.0, 1.0));
    }
    dev.push_back(m);
  }
  std::unique_ptr<kmc::engine> kmc_engine;
  if (r.compare_kmc) {
    const auto ensemble = ensemble_device(r.device, r.devices, r.device_rails);
    kmc_engine = r.backend ? std::make_unique<kmc::engine>(ensemble, r.sim, r.voltage, r.backend)
                           : std::make_unique<kmc::engine>(ensemble, r.sim, r.voltage);
    if (r.ctl) kmc_engine->set_stop_flag(r.ctl->flag(omp_get_thread_num()));
  }
  auto stats = [](const std::vector<double>& x) {
    double m = 0, v = 0;
    for (double a : x) m += a / static_cast<double>(x.size());
    for (double a : x) v += (a - m) * (a - m) / static_cast<double>(x.size() - 1);
    return std::pair{m, std::sqrt(v)};
  };
  replay_trace out;
  const int steps = static_cast<int>(std::floor(r.duration_s / r.dt_m + 1e-9));
  std::vector<double> g(r.devices);
  for (int k = 1; k <= steps; ++k) {
    const double v = r.voltage->voltage((k - 0.5) * r.dt_m);
    const model::q_volt qv = model::q_volt::from_double(v);
    for (int d = 0; d < r.devices; ++d) {
      model::step(view, dev[d], qv);
      g[d] = model::conductance(view, dev[d]).to_double() * model::cond_unit_siemens;
    }
    const auto [mm, sm] = stats(g);
    out.t.push_back(k * r.dt_m), out.v.push_back(v);
    out.mean_model.push_back(mm), out.std_model.push_back(sm);
    if (kmc_engine) {
      for (;;) {  // a timer's flag (checkpoints of other phases) is lowered and the step continued
        kmc_engine->advance_to(k * r.dt_m);
        const int worker = omp_get_thread_num();
        if (!r.ctl || !r.ctl->pause_requested(worker)) break;
        if (r.ctl->interrupted())
          throw interrupted(r.ctl->signal(), fmt::format("interrupted by {}", signal_name(r.ctl->signal())));
        r.ctl->resume(worker);
      }
      const auto s = device_states(*kmc_engine, r.devices);
      for (int d = 0; d < r.devices; ++d) g[d] = r.device.readout.conductance(s[d], r.s_eq);
      const auto [mk, sk] = stats(g);
      out.mean_kmc.push_back(mk), out.std_kmc.push_back(sk);
    }
    if (r.on_step) r.on_step(k * r.dt_m);
  }
  return out;
}

fidelity_figures figures_of(const replay_trace& tr, int devices) {
  fidelity_figures f;
  f.devices = devices;
  if (tr.mean_kmc.empty()) return f;
  f.compared = true;
  double sq = 0, lo = 1e300, hi = -1e300, sm = 0, sk = 0;
  for (std::size_t k = 0; k < tr.mean_kmc.size(); ++k) {
    sq += std::pow(tr.mean_model[k] - tr.mean_kmc[k], 2);
    lo = std::min(lo, tr.mean_kmc[k]), hi = std::max(hi, tr.mean_kmc[k]);
    sm += tr.std_model[k], sk += tr.std_kmc[k];
  }
  f.nrmse_mean_g = std::sqrt(sq / static_cast<double>(tr.mean_kmc.size())) / (hi - lo);
  f.spread_ratio = sm / sk;
  return f;
}

kmc::sim_params resolved_sim(const kmc::sim_params& sim, double dt_m) {
  kmc::sim_params s = sim;
  if (!(s.dt_max_s > 0)) s.dt_max_s = dt_m / 4;
  return s;
}

}  // namespace ionrail::calibration
