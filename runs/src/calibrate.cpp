// `ionrail calibrate` and `ionrail replay`: the configuration and options
// checked, the calibration library called, the table, fidelity figures and
// plots written.
#include <ionrail/runs/file_kind.hpp>
#include <ionrail/runs/calibrate.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <sstream>
#include <system_error>

#include <omp.h>

#include <ionrail/config/run_config.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/calibration/progress.hpp>
#include <ionrail/calibration/ensemble.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/calibration/table_build.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/table_files.hpp>

#include <ionrail/runs/output.hpp>
#include <ionrail/runs/output_lock.hpp>

namespace fs = std::filesystem;

namespace ionrail::runs {

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;

void run_calibration(const std::string& path, const calibrate_options& options) {
  run_config cfg = load_run_config(path, options.overrides);
  cfg.sim.work_limit = options.max_work;  // each engine's, while it runs (kmc::sim_params::work_limit)
  check_file_is_for(cfg, "calibrate");
  const bool has_calibration =
      std::find(cfg.sections.begin(), cfg.sections.end(), "calibration") != cfg.sections.end();
  if (std::find(cfg.sections.begin(), cfg.sections.end(), "measured_table") != cfg.sections.end()) {
    if (has_calibration)
      throw config_error(path + ": both [calibration] (a table from KMC ensembles) and [measured_table] (a table from "
                                "measured pulse trains): expected one of them");
    run_measured_table(cfg, options);
    return;
  }
  cfg.sim = resolved_sim(cfg.sim, cfg.calibration.dt_m_s);
  const calibration_params& c = cfg.calibration;
  if (static_cast<double>(c.devices) * c.device_rails > 2e9)
    throw config_error(fmt::format("{}: calibration.devices x calibration.device_rails = {} x {} rails: at most 2e9", path,
                                   c.devices, c.device_rails));
  // Keys that cannot work together (a noise lag longer than a run, ...).
  check_settings(c, path);
  if (!(options.checkpoint_every_s >= 0) || !std::isfinite(options.checkpoint_every_s))
    throw config_error(fmt::format("--checkpoint-every = {}: must be finite and >= 0 seconds", options.checkpoint_every_s));
  calibration_params cal = c;
  cal.seed = cfg.sim.seed;  // the random protocols are drawn from the run's seed
  constexpr int validation_protocols = 2;  // fidelity at calibration time (see below)
  constexpr double validation_s = 60.0;
  const kmc::device_params ensemble = ensemble_device(cfg.device, c.devices, c.device_rails);

  // Memory: one ensemble engine per OpenMP thread at once, and the
  // calibration grid (transition bins per run, the checkpoint text of each
  // running run, the table built from them), refused before anything is
  // allocated; first, since it is cheap and the work estimate builds every
  // run's protocol.
  {
    kmc::sim_params one = cfg.sim;
    one.threads = 1;
    const int at_once = std::min(c.runs, omp_get_max_threads());
    const double engines = at_once * kmc::engine_memory_bytes(ensemble, one);
    const double grid = grid_memory_bytes(c, at_once);
    auto gib = [](double b) { return fmt::format("{:.3g} GiB", b / (1024.0 * 1024 * 1024)); };
    check_memory(engines + grid,
                 fmt::format("{}: {} calibration runs at once of calibration.devices x calibration.device_rails = {} x {} "
                             "rails of {} ions on device.sites = {} ({}), and their grid of 2^calibration.state_bits = "
                             "2^{} states x {:.0f} voltages (calibration.v_step_v = {} V over +-calibration.v_max_v = {} V) "
                             "for calibration.runs = {} ({})",
                             path, at_once, c.devices, c.device_rails, ensemble.ions_per_rail(), ensemble.sites,
                             gib(engines), c.state_bits, 2 * std::ceil(c.v_max_v / c.v_step_v) + 1, c.v_step_v, c.v_max_v,
                             c.runs, gib(grid)));
  }
  // Work: every KMC ensemble this command simulates, summed and checked
  // against the limit before anything runs (and before DIR.checkpoint is
  // touched): the calibration runs, the ensembles at 0 V that measure the
  // variance at rest, and the fidelity ensembles on unseen protocols.
  {
    double total = 0;
    std::string bound;  // how the runs were estimated, when bounded
    auto add = [&](const kmc::piecewise_linear_voltage& drive, double times, const std::string& what) {
      const kmc::work_estimate w = kmc::estimate_work(ensemble, cfg.sim, drive);
      check_work(w, ensemble, cfg.sim, options.max_work, what);
      total += times * w.attempts;
      if (!(total <= options.max_work))
        throw input_error(fmt::format(
            "{}: calibration.runs = {} runs of calibration.duration_s = {} s on calibration.devices x "
            "calibration.device_rails = {} x {} rails, with the ensembles at rest and the fidelity check, would take "
            "about {:.3g} hop attempts or more{}, beyond the limit of {:.3g}: fewer or shorter runs, fewer rails, or "
            "raise the limit with --max-work",
            path, c.runs, c.duration_s, c.devices, c.device_rails, total, bound, options.max_work));
    };
    // Each run's drive is its own random protocol (drawn from the seed): built
    // and estimated while that is cheap (a protocol point per ~2.5 s, each
    // ramp's pieces a hop rate each: measured 0.8 s of CPU per 10^5 s of
    // protocol, so up to 10^5 s in all). Beyond, each run is
    // bounded by ±v_max_v held for its whole duration, which no random
    // protocol exceeds (the hop rate grows with |V|); the bound can refuse a
    // calibration whose protocols would have fitted, and says so.
    constexpr double exact_up_to_s = 1e5;
    if (static_cast<double>(c.runs) * c.duration_s <= exact_up_to_s) {
      for (int run = 0; run < c.runs; ++run)
        add(*run_drive(cal, static_cast<std::uint64_t>(run)), 1, fmt::format("{} (calibration run {})", path, run));
    } else {
      const double end_s = run_steps(c) * c.dt_m_s;
      const kmc::piecewise_linear_voltage held({0.0, end_s}, {c.v_max_v, c.v_max_v}, "the bound of a calibration run");
      bound = fmt::format(" (each run bounded by calibration.v_max_v = {} V held for calibration.duration_s = {} s: runs "
                          "x duration_s is too long to build every run's protocol first)",
                          c.v_max_v, c.duration_s);
      add(held, c.runs, path + bound);
    }
    const kmc::piecewise_linear_voltage rest_1s({0.0, 1.0}, {0.0, 0.0}), rest_49s({0.0, 49.0}, {0.0, 0.0});
    add(rest_1s, 8, path + " (the ensembles at rest)");
    add(rest_49s, 1, path + " (the ensembles at rest)");
    calibration_params vc = cal;
    vc.duration_s = validation_s;
    const double validation_end_s = std::floor(validation_s / c.dt_m_s + 1e-9) * c.dt_m_s;
    for (int k = 0; k < validation_protocols; ++k)
      add(*drive_until(*random_protocol(vc, static_cast<std::uint64_t>(c.runs + k)), validation_end_s), 1,
          fmt::format("{} (fidelity protocol {})", path, k));
  }

  // Refused before the lock: a refusal after --force cleared DIR.checkpoint
  // would have deleted it for nothing.
  if (options.checkpoints && options.checkpoint_every_s > 0 && engine_backend(cfg))
    throw config_error("--checkpoint-every: the cuda backend cannot save its state; use sim.backend = \"cpu\"");
  // DIR's lock, before DIR.checkpoint is read or cleared (see run_experiment).
  const output_lock lock(options.out_dir);
  // Finished runs (run_N.bins) and interrupted ones (run_N.state) are kept in
  // DIR.checkpoint until the table is written; `config` says what for.
  const fs::path checkpoint = fs::path(options.out_dir + ".checkpoint");
  // What the runs depend on: everything but calibration.state_variables (which
  // only the table built from them uses; scripts/compare_state_variables.sh
  // builds both tables from one set of runs).
  run_config runs_of = cfg;
  runs_of.calibration.state_variables = 0;
  const std::string fingerprint = std::string(kmc::engine_version()) + "\n" + resolved_parameters_json(runs_of) + "\n";
  remove_unresumable_checkpoint(checkpoint, checkpoint / "config", options.out_dir);
  if (options.resume) {
    if (!checkpoint_exists(checkpoint / "config"))
      throw config_error((checkpoint / "config").string() + ": --resume: no checkpoint here (nothing was interrupted, or it finished)");
    if (read_checkpoint(checkpoint / "config", "calibration") != fingerprint)
      throw config_error(checkpoint.string() + ": was written for another configuration; resume with the same file and "
                         "options, or start over with --force");
  } else if (checkpoint_exists(checkpoint)) {
    if (!options.force)
      throw config_error(checkpoint.string() + ": holds an interrupted calibration: continue it with --resume, or start "
                         "over with --force (which deletes it)");
    refuse_to_remove(checkpoint, options.out_dir);
    fs::remove_all(checkpoint);
  }
  staged_dir dir(lock, options.force);  // a --resume replaces a DIR only with --force too
  // A refusal (exit 2) leaves nothing of this command behind: staged_dir
  // removes DIR.partial-PID, and DIR.checkpoint goes too when
  // - this command made it: it holds nothing the user asked to keep;
  // - or the refusal comes from what the runs measured (no bin got enough
  //   transitions): the runs are deterministic, so resuming would only give
  //   the same refusal, and what helps (more or longer runs) makes the
  //   checkpoint another configuration's anyway.
  // A resumed checkpoint refused for itself (a damaged file, found before any
  // run is simulated) is kept: the message names the file, which the user can
  // delete to simulate that run again and resume the others. Other failures
  // (disk full, out of memory, a signal) keep it too: resuming can help once
  // their cause is gone.
  bool simulated = false;
  try {
    fs::create_directories(checkpoint);
    // A resumed checkpoint's config is this fingerprint already (checked
    // above): not written again, so that a refused resume changes nothing.
    if (!options.resume) write_checkpoint(checkpoint / "config", "calibration", fingerprint);
    std::unique_ptr<run_control> ctl;
    if (options.checkpoints) ctl = std::make_unique<run_control>(options.checkpoint_every_s, omp_get_max_threads());
    const transition_bins bins =
        collect_transitions(cfg.device, cfg.sim, cal, options.quiet, checkpoint.string(), engine_backend(cfg), ctl.get());
    simulated = true;
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
    const table_build t = [&] {
      try {
        return build_table(bins, cfg.device.readout, s_eq, var, min_bin_samples, c.state_variables);
      } catch (const input_error& e) {
        throw input_error(path + ": " + e.what());  // the file whose settings gave too few transitions
      }
    }();

    // Fidelity at calibration time (spec §2), on random protocols NOT used for
    // calibration (indices after the calibration runs), each against a fresh
    // KMC ensemble of the same size; the held-out protocol files are checked
    // by `ionrail replay` and the tests.
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
      // Its own bar: the KMC ensembles of this stage take a while after the
      // calibration runs' bar has said done.
      progress_reporter fidelity_progress(validation_protocols * validation_s, options.quiet);
      fidelity_progress.begin_part(fmt::format("fidelity: {} unseen protocols x {} devices", validation_protocols, c.devices));
      std::vector<double> reached(validation_protocols, 0.0);
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
        r.on_step = [&, k](double t_s) {
  #pragma omp critical(ionrail_fidelity_progress)
          {
            reached[static_cast<std::size_t>(k)] = t_s;
            double sum = 0;
            for (double x : reached) sum += x;
            fidelity_progress.advance_to(sum);
          }
        };
        fidelity[k] = figures_of(replay_steps(t.table, r), c.devices);
      } catch (...) {
        failure[k] = std::current_exception();
      }
      fidelity_progress.finish("fidelity done");
      try {
        for (const auto& f : failure)
          if (f) std::rethrow_exception(f);
      } catch (const interrupted&) {
        check_interrupt();
        throw;
      }
    }
    // The ensembles are done: a signal none of them saw stops the command
    // here (the runs are saved); from here a signal removes the staged table.
    if (ctl)
      if (const int sig = ctl->release())
        throw interrupted(sig, fmt::format("interrupted by {} after all {} calibration runs and the fidelity check (saved "
                                           "in {}); the table is computed again on resume",
                                           signal_name(sig), c.runs, checkpoint.string()));
    json_doc fidelity_doc = {{"protocols", fmt::format("{} random protocols of {} s with indices runs .. runs+{} (not used for "
                                                        "calibration)", validation_protocols, validation_s, validation_protocols - 1)},
                             {"nrmse_mean_g", json_doc::array()},
                             {"spread_ratio", json_doc::array()}};
    bool meets_bar = true;
    for (const auto& f : fidelity) {
      fidelity_doc["nrmse_mean_g"].push_back(json_number(f.nrmse_mean_g, 4));
      fidelity_doc["spread_ratio"].push_back(json_number(f.spread_ratio, 4));
      meets_bar = meets_bar && meets_fidelity_bar(f);
    }
    fidelity_doc["bar"] = {{"nrmse_max", fidelity_nrmse_max},
                           {"spread_ratio_range", json_doc::array({json_number(1 / fidelity_spread_factor, 4),
                                                                   fidelity_spread_factor})}};
    fidelity_doc["meets_bar"] = meets_bar;
    const std::string metadata = json_text({{"device_rails", c.device_rails},
                                            {"devices", c.devices},
                                            {"runs", c.runs},
                                            {"duration_s", c.duration_s},
                                            {"dt_m_s", c.dt_m_s},
                                            {"v_max_v", c.v_max_v},
                                            {"seed", cfg.sim.seed},
                                            {"s_eq", json_number(s_eq, 9)},
                                            {"initial_variance", json_number(var_initial, 9)},
                                            {"initial_slow_variance", json_number(var_initial_slow, 9)},
                                            {"engine", kmc::engine_version()},
                                            {"git", git_hash()},
                                            {"command", "ionrail calibrate " + path},
                                            {"fidelity", fidelity_doc},
                                            {"parameters", parameters_json(cfg)}});
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
    // A table that misses the bar is written (it is what these settings
    // give) but never silently: the warning prints even with --quiet.
    if (!meets_bar)
      fmt::print(stderr, "ionrail calibrate: warning: {} misses the fidelity bar on unseen protocols (NRMSE of mean G "
                         "<= {:.0f} %, spread ratio in [{:.2f}, {:.1f}]; table.json: meets_bar = false): more "
                         "calibration.runs, devices or duration_s, or a coarser grid, usually help\n",
                 options.out_dir, 100 * fidelity_nrmse_max, 1 / fidelity_spread_factor, fidelity_spread_factor);
  } catch (const input_error&) {
    if (!options.resume || simulated) {
      std::error_code ignored;
      fs::remove_all(checkpoint, ignored);
    }
    throw;
  } catch (const kmc::work_limit_exceeded& e) {
    // A refusal too (--max-work), met while the runs simulated: nothing is
    // kept that would block the retry with a higher limit, except a
    // checkpoint the user resumed from, which was theirs before.
    if (!options.resume) {
      std::error_code ignored;
      fs::remove_all(checkpoint, ignored);
    }
    throw input_error(fmt::format("{}: {}", path, e.what()));
  }
}

fidelity_figures run_replay(const replay_options& o) {
  const model::table table = load_table_consistent(o.table_dir);
  const run_config cfg = load_run_config(o.protocol_file, o.overrides);
  check_file_is_for(cfg, "replay");
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
  r.sim.work_limit = o.max_work;
  r.backend = engine_backend(cfg);
  r.voltage = drive.voltage;
  r.duration_s = drive.duration_s;
  r.compare_kmc = o.compare_kmc;
  // The model sees the drive once per model step, at its middle: a pulse
  // shorter than a step fell between two samples and was dropped without a
  // word (width_s = 1 ms at dt_m_s = 50 ms replayed no pulse at all), and a
  // voltage past the model's ±16 V was saturated. Both refused.
  {
    const kmc::drive_breakpoints bp = drive.voltage->breakpoints();
    const double v_model_max = model::q_volt::max().to_double();
    const double steps = std::floor(r.duration_s / r.dt_m + 1e-9);
    // Between two consecutive step middles (and before the first, and in
    // the part after the last whole step, which is not replayed) the drive
    // must stay within the range of the samples on either side, give or
    // take 0.1 V and 5 %: an edge or a ramp does, a pulse or a gap that no
    // middle falls in does not.
    auto sampled = [&](double k) { return drive.voltage->voltage((k - 0.5) * r.dt_m); };
    // Breakpoint by breakpoint (never step by step: a protocol may span
    // 10^12 steps, refused by the work check below): the stretch a
    // breakpoint falls in runs from the middle of step k (t = 0 for k = 0)
    // to the middle of step k + 1, from the last middle to the end of the
    // last whole step, or past that end (the rest of the protocol, shorter
    // than a step, which the replay does not reach).
    const double end = steps * r.dt_m;
    if (steps < 1)
      throw input_error(fmt::format("{}: the protocol lasts {:g} s, less than one model step of dt_m_s = {:g} s (the "
                                    "table's): nothing would be replayed",
                                    o.protocol_file, r.duration_s, r.dt_m));
    // A pulse or a gap (a constant stretch between two jumps) shorter than
    // a step is refused wherever it falls: the check below passed one whose
    // middle met a step's middle, and the model then applied it for a whole
    // step (a 30 ms pulse replayed as 50 ms). Its length runs from the
    // middle of the jump into it to the middle of the jump out of it.
    {
      const auto& ts = bp.times_s;
      const auto& vs = bp.volts;
      auto constant = [&](std::size_t i) { return std::fabs(vs[i + 1] - vs[i]) <= 1e-12 * (1 + std::fabs(vs[i])); };
      for (std::size_t a = 1; a + 1 < ts.size();) {
        if (!constant(a)) {
          ++a;
          continue;
        }
        std::size_t b = a;
        while (b + 1 < ts.size() && constant(b)) ++b;  // [a, b]: one level
        if (b + 1 < ts.size()) {
          const double level = vs[a];
          const double tol = 0.1 + 0.05 * std::max({std::fabs(level), std::fabs(vs[a - 1]), std::fabs(vs[b + 1])});
          const double length = (ts[b] - ts[a]) + 0.5 * (ts[a] - ts[a - 1]) + 0.5 * (ts[b + 1] - ts[b]);
          if (std::fabs(level - vs[a - 1]) > tol && std::fabs(level - vs[b + 1]) > tol && length < r.dt_m * (1 - 1e-9))
            throw input_error(fmt::format("{}: the protocol holds {:g} V for {:g} s from t = {:.9g} s: a pulse or gap "
                                          "shorter than a model step of dt_m_s = {:g} s (the table's), which the model "
                                          "would apply for a whole step; expected pulses and gaps of at least one model "
                                          "step",
                                          o.protocol_file, level, length, ts[a], r.dt_m));
        }
        a = b + 1;
      }
    }
    for (std::size_t i = 0; i < bp.times_s.size(); ++i) {
      const double t = bp.times_s[i], v = bp.volts[i];
      if (std::fabs(v) > v_model_max)
        throw input_error(fmt::format("{}: the protocol reaches {:g} V at t = {:g} s: the compact model's voltage "
                                      "holds at most ±{:g} V",
                                      o.protocol_file, v, t, v_model_max));
      const double k = t > end ? steps + 1 : std::max(0.0, std::ceil(t / r.dt_m - 0.5));
      const double a = k == 0 ? drive.voltage->voltage(0.0) : k <= steps ? sampled(k) : drive.voltage->voltage(end);
      const double b = k < steps ? sampled(k + 1) : drive.voltage->voltage(end);
      const double lo = std::min(a, b), hi = std::max(a, b);
      const double tol = 0.1 + 0.05 * std::max(std::fabs(lo), std::fabs(hi));
      if (v > hi + tol || v < lo - tol)
        throw input_error(fmt::format(
            "{}: the protocol is at {:g} V at t = {:.9g} s, but the model, which sees it once per step of dt_m_s = "
            "{:g} s (the table's) at the step's middle, sees {:g} V and {:g} V around it{}: a pulse or gap shorter "
            "than a model step would be lost; expected pulses and gaps of at least one model step",
            o.protocol_file, v, t, r.dt_m, a, b, k <= steps ? "" : " (after its last whole step, not replayed)"));
    }
  }
  if (o.compare_kmc && r.device_rails < 1)
    throw input_error(o.table_dir + "/table.json: device_rails = 0: the table was built from measured pulse trains, "
                                    "not the KMC: --compare-kmc has no KMC device to compare with");
  r.noise = !o.no_noise;
  const int devices = r.devices, device_rails = r.device_rails;
  // The compact model's own share, also before anything runs: a row of six
  // numbers (and ~100 characters of replay.csv) per model step, and devices ×
  // steps model updates, counted against --max-work as one hop attempt each
  // (a device step costs about what a hop attempt does, docs/performance.md).
  {
    const double model_steps = std::floor(r.duration_s / r.dt_m + 1e-9);
    check_memory(model_steps * (6 * 8 + 100),
                 fmt::format("{}: a replay trace of {:.3g} model steps (the protocol's {:.3g} s over the table's "
                             "dt_m_s = {:.3g} s)",
                             o.protocol_file, model_steps, r.duration_s, r.dt_m));
    const double device_steps = model_steps * devices;
    if (!(device_steps <= o.max_work))
      throw input_error(fmt::format("{}: replaying calibration.devices = {} devices for {:.3g} model steps (the protocol's "
                                    "{:.3g} s over the table's dt_m_s = {:.3g} s) would take about {:.3g} device steps, "
                                    "beyond the limit of {:.3g}: shorten the protocol, use fewer calibration.devices, or "
                                    "raise the limit with --max-work",
                                    o.protocol_file, devices, model_steps, r.duration_s, r.dt_m, device_steps, o.max_work));
  }
  if (o.compare_kmc) {
    const kmc::device_params ensemble = ensemble_device(r.device, r.devices, r.device_rails);
    check_memory(kmc::engine_memory_bytes(ensemble, r.sim),
                 fmt::format("{}: --compare-kmc: calibration.devices x device_rails = {} x {} rails of {} ions on device.sites = {}",
                             o.protocol_file, r.devices, r.device_rails, ensemble.ions_per_rail(), ensemble.sites));
    // Work: the KMC ensemble over the protocol, up to the last model step
    // replay_steps takes, refused before anything runs.
    const double end_s = std::floor(r.duration_s / r.dt_m + 1e-9) * r.dt_m;
    check_work(kmc::estimate_work(ensemble, r.sim, *drive_until(*drive.voltage, end_s)), ensemble, r.sim, o.max_work,
               fmt::format("{}: --compare-kmc on calibration.devices x device_rails = {} x {} rails", o.protocol_file,
                           r.devices, r.device_rails));
  }
  staged_dir dir(o.out_dir, o.force);
  const replay_trace tr = replay_steps(table, r);
  {
    fmt::memory_buffer csv;
    fmt::format_to(std::back_inserter(csv), "t_s,v,g_model_mean_s,g_model_std_s{}\n", o.compare_kmc ? ",g_kmc_mean_s,g_kmc_std_s" : "");
    for (std::size_t k = 0; k < tr.t.size(); ++k) {
      fmt::format_to(std::back_inserter(csv), "{:.6g},{:.6g},{:.9g},{:.9g}", tr.t[k], tr.v[k], tr.mean_model[k], tr.std_model[k]);
      if (o.compare_kmc) fmt::format_to(std::back_inserter(csv), ",{:.9g},{:.9g}", tr.mean_kmc[k], tr.std_kmc[k]);
      fmt::format_to(std::back_inserter(csv), "\n");
    }
    write_file_atomic(dir.path() / "replay.csv", fmt::to_string(csv));
  }
  const fidelity_figures f = figures_of(tr, devices);
  if (f.compared)
    write_json(dir.path() / "fidelity.json",
               {{"protocol", o.protocol_file},
                {"table", o.table_dir},
                {"devices", devices},
                {"device_rails", device_rails},
                {"nrmse_mean_g", json_number(f.nrmse_mean_g, 6)},
                {"spread_ratio", json_number(f.spread_ratio, 6)},
                {"bar", {{"nrmse_max", fidelity_nrmse_max},
                         {"spread_ratio_range", json_doc::array({json_number(1 / fidelity_spread_factor, 4),
                                                                 fidelity_spread_factor})}}},
                {"meets_bar", meets_fidelity_bar(f)}});
  {
    std::ostringstream gp;
    // The title names KMC only when a KMC ensemble ran beside the model.
    gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
          "set output 'replay.png'\nset grid\nset key outside right top\nset xlabel 't (s)'\nset ylabel 'G (µS)'\n"
       << (o.compare_kmc ? "set title 'Compact model vs KMC: mean and device-to-device spread'\n"
                         : "set title 'Compact model: mean and device-to-device spread'\n")
       << "plot 'replay.csv' every ::1 using 1:(1e6*($3-$4)):(1e6*($3+$4)) with filledcurves fs transparent solid 0.25 "
          "title 'model ±1 sd', '' every ::1 using 1:($3*1e6) with lines lw 2 title 'model mean'";
    if (o.compare_kmc)
      gp << ", '' every ::1 using 1:(1e6*($5-$6)):(1e6*($5+$6)) with filledcurves fs transparent solid 0.25 title 'KMC ±1 sd', "
            "'' every ::1 using 1:($5*1e6) with lines lw 2 dt 2 title 'KMC mean'";
    gp << "\n";
    write_file_atomic(dir.path() / "plots.gp", gp.str());
  }
  render_plots(dir.path().string(), o.quiet);
  dir.commit();
  return f;
}

}  // namespace ionrail::runs
