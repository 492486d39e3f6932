#include <fmt/format.h>
#include <fmt/os.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <omp.h>

#include <ionrail/app/calibrate.hpp>
#include <ionrail/app/checkpoint.hpp>
#include <ionrail/app/config.hpp>
#include <ionrail/app/runner.hpp>
#include <ionrail/app/staged_dir.hpp>
#include <ionrail/app/table_io.hpp>
#include <ionrail/kmc/counter_draws.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/model/device.hpp>
#include <ionrail/model/step.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {
namespace {

// What a replay needs besides the table: the calibration's metadata, the
// KMC side (for the comparison) and the drive.
struct replay_setup {
  double dt_m = 0, s_eq = 0, var_initial = 0, var_initial_slow = 0;
  int devices = 0, device_rails = 0;
  kmc::device_params device;
  kmc::sim_params sim;
  kmc::solver_factory backend;
  std::shared_ptr<const kmc::voltage_source> voltage;
  double duration_s = 0;
  bool compare_kmc = false;
  run_control* ctl = nullptr;  // a signal stops the KMC side (interrupted)
};

// Mean and device-to-device standard deviation of G at every model step.
struct replay_trace {
  std::vector<double> t, v, mean_model, std_model, mean_kmc, std_kmc;
};

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
                                         model::variation_params::none(), s_rest, true);
    m.state = model::q_state::from_double(std::clamp(r.s_eq + std::sqrt(var_slow) * normal(), 0.0, 1.0));
    m.fluct = model::q_fluct::from_double(std::clamp(std::sqrt(var_fast) * normal(), -1.0, 1.0));
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
  }
  return out;
}

// NRMSE of the mean G (normalised by the KMC's range) and the ratio of the
// time-averaged device-to-device spreads.
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

}  // namespace

namespace {
// The KMC step must resolve the drive at the model's time scale: unless the
// file caps it, the automatic step is at most dt_m / 4.
kmc::sim_params resolved_sim(const kmc::sim_params& sim, double dt_m) {
  kmc::sim_params s = sim;
  if (!(s.dt_max_s > 0)) s.dt_max_s = dt_m / 4;
  return s;
}
}  // namespace

void run_calibration(const std::string& path, const calibrate_options& options) {
  run_config cfg = load_run_config(path, options.overrides);
  cfg.sim = resolved_sim(cfg.sim, cfg.calibration.dt_m_s);
  const calibration_params& c = cfg.calibration;
  if (static_cast<double>(c.devices) * c.device_rails > 2e9)
    throw config_error(fmt::format("{}: calibration.devices x calibration.device_rails = {} x {} rails: at most 2e9", path,
                                   c.devices, c.device_rails));
  if (!(options.checkpoint_every_s >= 0) || !std::isfinite(options.checkpoint_every_s))
    throw config_error(fmt::format("--checkpoint-every = {}: must be finite and >= 0 seconds", options.checkpoint_every_s));
  // Memory: one ensemble engine per OpenMP thread at once.
  {
    const kmc::device_params ensemble = ensemble_device(cfg.device, c.devices, c.device_rails);
    kmc::sim_params one = cfg.sim;
    one.threads = 1;
    const int at_once = std::min(c.runs, omp_get_max_threads());
    check_memory(at_once * kmc::engine_memory_bytes(ensemble, one),
                 fmt::format("{}: {} calibration runs at once of calibration.devices x calibration.device_rails = {} x {} "
                             "rails of {} ions on device.sites = {}",
                             path, at_once, c.devices, c.device_rails, ensemble.ions_per_rail(), ensemble.sites));
  }
  calibration_params cal = c;
  cal.seed = cfg.sim.seed;
  // Finished runs (run_N.bins) and interrupted ones (run_N.state) are kept in
  // DIR.checkpoint until the table is written; `config` says what for.
  const fs::path checkpoint = fs::path(options.out_dir + ".checkpoint");
  // What the runs depend on: everything but calibration.state_variables (which
  // only the table built from them uses; scripts/compare_state_variables.sh
  // builds both tables from one set of runs).
  run_config runs_of = cfg;
  runs_of.calibration.state_variables = 0;
  const std::string fingerprint = std::string(kmc::engine_version()) + "\n" + resolved_parameters_json(runs_of) + "\n";
  if (options.resume) {
    if (!fs::exists(checkpoint / "config"))
      throw config_error((checkpoint / "config").string() + ": --resume: no checkpoint here (nothing was interrupted, or it finished)");
    if (read_checkpoint(checkpoint / "config", "calibration") != fingerprint)
      throw config_error(checkpoint.string() + ": was written for another configuration; resume with the same file and "
                         "options, or start over with --force");
  } else if (fs::exists(checkpoint)) {
    if (!options.force)
      throw config_error(checkpoint.string() + ": holds an interrupted calibration: continue it with --resume, or start "
                         "over with --force (which deletes it)");
    fs::remove_all(checkpoint);
  }
  if (options.checkpoints && options.checkpoint_every_s > 0 && engine_backend(cfg))
    throw config_error("--checkpoint-every: the cuda backend cannot save its state; use sim.backend = \"cpu\"");
  staged_dir dir(options.out_dir, options.force || options.resume);
  fs::create_directories(checkpoint);
  write_checkpoint(checkpoint / "config", "calibration", fingerprint);
  std::unique_ptr<run_control> ctl;
  if (options.checkpoints) ctl = std::make_unique<run_control>(options.checkpoint_every_s, omp_get_max_threads());
  const transition_bins bins =
      collect_transitions(cfg.device, cfg.sim, cal, options.quiet, checkpoint.string(), engine_backend(cfg), ctl.get());
  auto check_interrupt = [&] {
    if (ctl && ctl->interrupted())
      throw interrupted(ctl->signal(), fmt::format("interrupted by {} after all {} calibration runs (saved in {}); the "
                                                   "table is computed again on resume",
                                                   signal_name(ctl->signal()), c.runs, checkpoint.string()));
  };
  check_interrupt();

  // Device-to-device variance of the state at rest, and at the start. At
  // rest it is not the initial random placement's: each device's own space
  // charge restores its fluctuations, so an ensemble held at 0 V settles to a
  // smaller variance. Held for 30 s (several relaxation times of the default
  // material), then the cross-device variance is averaged over 20 snapshots
  // 1 s apart. The initial variance (the material's initial placement) is
  // the mean over 8 independently seeded ensembles, since one has only
  // `devices` samples; replay starts its model devices with it. Part of it
  // relaxes with the fast fluctuation (τ of a few model steps), part with the
  // slow profile: the slow part is what is left after 1 s at 0 V, beyond the
  // variance at rest.
  const kmc::device_params ensemble = ensemble_device(cfg.device, c.devices, c.device_rails);
  auto cross_device_variance = [&](const kmc::engine& e) {
    const auto x = device_states(e, c.devices);
    double mean = 0, v = 0;
    for (double a : x) mean += a / c.devices;
    for (double a : x) v += (a - mean) * (a - mean) / (c.devices - 1);
    return v;
  };
  double var = 0, var_initial = 0, var_after_1s = 0, s_eq = 0;
  const int initial_ensembles = 8;
  for (int k = 0; k < initial_ensembles; ++k) {
    check_interrupt();
    kmc::sim_params s = cfg.sim;
    s.seed = cfg.sim.seed + 8888888ull + static_cast<std::uint64_t>(k);
    kmc::engine e(ensemble, s, std::make_shared<kmc::constant_voltage>(0.0));
    var_initial += cross_device_variance(e) / initial_ensembles;
    e.advance_to(1.0);
    var_after_1s += cross_device_variance(e) / initial_ensembles;
  }
  {
    kmc::sim_params s = cfg.sim;
    s.seed = cfg.sim.seed + 7777777ull;
    kmc::engine e(ensemble, s, std::make_shared<kmc::constant_voltage>(0.0));
    s_eq = e.model().readout().s_eq;
    const int snapshots = 20;
    for (int k = 0; k < snapshots; ++k) {
      check_interrupt();
      e.advance_to(30.0 + k);
      var += cross_device_variance(e) / snapshots;
    }
  }

  check_interrupt();
  const table_build t = build_table(bins, cfg.device.readout, s_eq, var, 5, c.state_variables);

  // Fidelity at calibration time (spec §2), on random protocols NOT used for
  // calibration (indices after the calibration runs), each against a fresh
  // KMC ensemble of the same size; the held-out protocol files are checked
  // by `ionrail replay` and the tests.
  constexpr int validation_protocols = 2;
  constexpr double validation_s = 60.0;
  const double var_initial_slow = std::max(0.0, var_after_1s - var);
  std::vector<fidelity_figures> fidelity(validation_protocols);
  {
    if (!options.quiet)
      fmt::print(stderr, "ionrail calibrate: fidelity on {} unseen random protocols of {} s\n", validation_protocols,
                 validation_s);
    calibration_params vc = cal;
    vc.duration_s = validation_s;
    const auto backend = engine_backend(cfg);
    std::vector<std::exception_ptr> failure(validation_protocols);
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < validation_protocols; ++k) try {
      replay_setup r;
      r.dt_m = c.dt_m_s;
      r.s_eq = s_eq;
      r.var_initial = var_initial;
      r.var_initial_slow = var_initial_slow;
      r.devices = c.devices;
      r.device_rails = c.device_rails;
      r.device = cfg.device;
      r.sim = cfg.sim;
      r.sim.threads = 1;
      r.sim.seed = cfg.sim.seed + 5555555ull + static_cast<std::uint64_t>(k);
      r.backend = backend;
      r.voltage = random_protocol(vc, static_cast<std::uint64_t>(c.runs + k));
      r.duration_s = validation_s;
      r.compare_kmc = true;
      r.ctl = ctl.get();
      fidelity[k] = figures_of(replay_steps(t.table, r), c.devices);
    } catch (...) {
      failure[k] = std::current_exception();
    }
    try {
      for (const auto& f : failure)
        if (f) std::rethrow_exception(f);
    } catch (const interrupted&) {
      check_interrupt();
      throw;
    }
  }
  std::string fidelity_json = fmt::format(
      "{{\"protocols\": \"{} random protocols of {} s with indices runs .. runs+{} (not used for calibration)\", "
      "\"nrmse_mean_g\": [",
      validation_protocols, validation_s, validation_protocols - 1);
  for (int k = 0; k < validation_protocols; ++k)
    fidelity_json += fmt::format("{}{:.4g}", k ? ", " : "", fidelity[k].nrmse_mean_g);
  fidelity_json += "], \"spread_ratio\": [";
  for (int k = 0; k < validation_protocols; ++k)
    fidelity_json += fmt::format("{}{:.4g}", k ? ", " : "", fidelity[k].spread_ratio);
  fidelity_json += "]}";
  const std::string metadata = fmt::format(
      "{{\"device_rails\": {}, \"devices\": {}, \"runs\": {}, \"duration_s\": {}, \"dt_m_s\": {}, \"v_max_v\": {}, "
      "\"seed\": {}, \"s_eq\": {:.9g}, \"initial_variance\": {:.9g}, \"initial_slow_variance\": {:.9g}, "
      "\"engine\": \"{}\", \"git\": \"{}\", \"command\": \"ionrail calibrate {}\", "
      "\"fidelity\": {}, \"parameters\": {}}}",
      c.device_rails, c.devices, c.runs, c.duration_s, c.dt_m_s, c.v_max_v, cfg.sim.seed, s_eq, var_initial,
      var_initial_slow, kmc::engine_version(), git_hash(), path, fidelity_json, resolved_parameters_json(cfg));
  write_table(dir.path().string(), t, metadata);
  dir.commit();
  fs::remove_all(checkpoint);
  if (!options.quiet)
    fmt::print(stderr, "ionrail calibrate: wrote {} ({} of {} bins visited; variance at rest: KMC {:.3g}, table {:.3g})\n",
               options.out_dir, std::count(t.visited.begin(), t.visited.end(), 1), t.visited.size(), t.equilibrium_variance,
               t.model_equilibrium_variance);
  if (!options.quiet)
    for (int k = 0; k < validation_protocols; ++k)
      fmt::print(stderr, "ionrail calibrate: unseen protocol {}: NRMSE of mean G {:.2f} %, spread ratio {:.2f}\n", k,
                 100 * fidelity[k].nrmse_mean_g, fidelity[k].spread_ratio);
}

fidelity_figures run_replay(const replay_options& o) {
  const model::table table = load_table(o.table_dir, table_format::csv);
  const run_config cfg = load_run_config(o.protocol_file, o.overrides);
  const kmc::protocol_drive drive = kmc::make_drive(cfg.protocol);
  replay_setup r;
  r.dt_m = table_metadata(o.table_dir, "dt_m_s");
  r.device_rails = static_cast<int>(table_metadata(o.table_dir, "device_rails"));
  r.s_eq = table_metadata(o.table_dir, "s_eq");
  r.var_initial = table_metadata(o.table_dir, "initial_variance");
  r.var_initial_slow = table_metadata(o.table_dir, "initial_slow_variance");
  r.devices = cfg.calibration.devices;
  r.device = cfg.device;
  r.sim = resolved_sim(cfg.sim, r.dt_m);
  r.backend = engine_backend(cfg);
  r.voltage = drive.voltage;
  r.duration_s = drive.duration_s;
  r.compare_kmc = o.compare_kmc;
  const int devices = r.devices, device_rails = r.device_rails;
  if (o.compare_kmc) {
    const kmc::device_params ensemble = ensemble_device(r.device, r.devices, r.device_rails);
    check_memory(kmc::engine_memory_bytes(ensemble, r.sim),
                 fmt::format("{}: --compare-kmc: calibration.devices x device_rails = {} x {} rails of {} ions on device.sites = {}",
                             o.protocol_file, r.devices, r.device_rails, ensemble.ions_per_rail(), ensemble.sites));
  }
  staged_dir dir(o.out_dir, o.force);
  const replay_trace tr = replay_steps(table, r);
  {
    auto out = fmt::output_file((dir.path() / "replay.csv").string());
    out.print("t_s,v,g_model_mean_s,g_model_std_s{}\n", o.compare_kmc ? ",g_kmc_mean_s,g_kmc_std_s" : "");
    for (std::size_t k = 0; k < tr.t.size(); ++k) {
      out.print("{:.6g},{:.6g},{:.9g},{:.9g}", tr.t[k], tr.v[k], tr.mean_model[k], tr.std_model[k]);
      if (o.compare_kmc) out.print(",{:.9g},{:.9g}", tr.mean_kmc[k], tr.std_kmc[k]);
      out.print("\n");
    }
  }
  const fidelity_figures f = figures_of(tr, devices);
  if (f.compared) {
    write_file_atomic(dir.path() / "fidelity.json", fmt::format("{{\n  \"protocol\": \"{}\",\n  \"table\": \"{}\",\n  \"devices\": {},\n  \"device_rails\": {},\n"
                       "  \"nrmse_mean_g\": {:.6g},\n  \"spread_ratio\": {:.6g},\n  \"bar\": {{\"nrmse_max\": 0.05, "
                       "\"spread_ratio_range\": [0.6667, 1.5]}},\n  \"meets_bar\": {}\n}}\n",
                       o.protocol_file, o.table_dir, devices, device_rails, f.nrmse_mean_g, f.spread_ratio,
                       f.nrmse_mean_g <= 0.05 && f.spread_ratio <= 1.5 && f.spread_ratio >= 1 / 1.5 ? "true" : "false"));
  }
  {
    std::ostringstream gp;
    gp << "set datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
          "set output 'replay.png'\nset grid\nset key outside right top\nset xlabel 't (s)'\nset ylabel 'G (S)'\n"
          "set title 'Compact model vs KMC: mean and device-to-device spread'\n"
          "plot 'replay.csv' every ::1 using 1:($3-$4):($3+$4) with filledcurves fs transparent solid 0.25 title 'model ±1 sd', "
          "'' every ::1 using 1:3 with lines lw 2 title 'model mean'";
    if (o.compare_kmc)
      gp << ", '' every ::1 using 1:($5-$6):($5+$6) with filledcurves fs transparent solid 0.25 title 'KMC ±1 sd', "
            "'' every ::1 using 1:5 with lines lw 2 dt 2 title 'KMC mean'";
    gp << "\n";
    write_file_atomic(dir.path() / "plots.gp", gp.str());
  }
  render_plots(dir.path().string(), o.quiet);
  dir.commit();
  return f;
}

}  // namespace ionrail::app
