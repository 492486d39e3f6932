// The `ionrail` command line.
//
// Exit codes: 0 success; 1 a run failed while running (e.g. a step became
// invalid); 2 bad input (usage, configuration, files) with nothing written;
// 3 `ionrail demo` finished but a physics claim of its report did not hold;
// 130 / 143 `run`, `calibrate` or `fit` stopped by SIGINT / SIGTERM after saving a
// checkpoint (the message says how to resume), or any other command stopped
// with nothing written (runs/signal_cleanup.hpp).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <omp.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <limits>

#include <ionrail/runs/file_kind.hpp>
#include <ionrail/runs/calibrate.hpp>
#include <ionrail/runs/fit.hpp>
#include <ionrail/calibration/fit.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/app/crossbar_run.hpp>
#include <ionrail/app/snn_run.hpp>
#include <ionrail/app/sweep.hpp>
#include <ionrail/app/demo.hpp>
#include <ionrail/app/export_run.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/runs/console.hpp>
#include <ionrail/runs/signal_cleanup.hpp>
#include <ionrail/kmc/engine.hpp>

#include "build_info.hpp"

#if IONRAIL_CUDA_BUILT
#include <ionrail/gpu/cuda_backend.hpp>
#endif

namespace {

using namespace ionrail;

int print_info() {
  fmt::print("ionrail {} ({}), git {}\n", IONRAIL_VERSION, kmc::engine_version(), runs::git_hash());
  fmt::print("build: C++17, OpenMP {} (max threads {})\n", _OPENMP, omp_get_max_threads());
  fmt::print("backends:\n  cpu: sync (OpenMP, SIMD) and bkl\n");
#if IONRAIL_CUDA_BUILT
  fmt::print("  cuda: built (sync method); device: {}\n", gpu::device_description());
#else
  fmt::print("  cuda: not built (no CUDA compiler found at configure time); the CPU backend runs everything\n");
#endif
  fmt::print("co-simulation: SystemC {}, Verilator {}\n", IONRAIL_SYSTEMC_BUILT ? "built" : "not built",
             IONRAIL_VERILATOR_BUILT ? "built" : "not built");
  fmt::print("fit: NLopt {}\n", calibration::have_nlopt() ? "built (ionrail fit)"
                                                        : "not built (install libnlopt-cxx-dev and configure again)");
  fmt::print("plots: gnuplot {}\n", std::system("command -v gnuplot >/dev/null 2>&1") == 0 ? "found" : "not found (data only)");
  return 0;
}

// The ranges of the numeric options (docs/cli.md). Every one is checked on
// its text, so that a sign, a fraction, an exponent or an overflow is refused
// instead of wrapped, clamped or taken as "not given".
constexpr int max_threads = 4096;     // as sim.threads
constexpr int max_jobs = 1024;        // OpenMP cannot start 100000 threads; far above any machine's cores
constexpr int max_gpus_per_node = 1024;
constexpr double max_checkpoint_every_s = 1e9;

// A whole decimal integer: no sign for an unsigned T, no spaces, no fraction.
template <class T>
bool parse_integer(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, out);
  return !text.empty() && r.ec == std::errc{} && r.ptr == end;
}

template <class T>
CLI::Validator integer_in(T lo, T hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        T v{};
        if (parse_integer(text, v) && v >= lo && v <= hi) return {};
        return fmt::format("{} is not an integer in [{}, {}]", text, lo, hi);
      },
      fmt::format("INT in [{}, {}]", lo, hi));
}

// A finite decimal number in [lo, hi]; `what` names its unit in the
// message ("seconds"), `name` in the help ("SECONDS").
CLI::Validator number_in(double lo, double hi, const std::string& what, const std::string& name) {
  return CLI::Validator(
      [lo, hi, what](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(v) && v >= lo && v <= hi) return {};
        return fmt::format("{} is not a number of {} in [{:g}, {:g}]", text, what, lo, hi);
      },
      fmt::format("{} in [{:g}, {:g}]", name, lo, hi));
}
CLI::Validator seconds_in(double lo, double hi) { return number_in(lo, hi, "seconds", "SECONDS"); }
CLI::Validator work_in(double lo, double hi) { return number_in(lo, hi, "hop attempts", "ATTEMPTS"); }

// `--max-work N`: the work limit (kmc::estimate_work) of the commands that run KMC.
void max_work_option(CLI::App* cmd, double& limit) {
  cmd->add_option("--max-work", limit,
                  fmt::format("Refuse a run estimated above this many hop attempts (default {:g}, about a day on two cores)",
                              kmc::default_work_limit))
      ->check(work_in(1, 1e300));
}

// `--threads N` of the commands whose parallel loops take OpenMP's default
// (calibrate's runs, the demo's experiments, replay's KMC ensemble): N sets
// that default, 0 leaves it (all cores, or OMP_NUM_THREADS).
void threads_option(CLI::App* cmd, int& threads) {
  cmd->add_option("--threads", threads, "Threads, 0 to 4096 (0 = all cores, or OMP_NUM_THREADS)")
      ->check(integer_in(0, max_threads));
}
void apply_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

// An output directory as one name: "out/", "out/." and "out//" are "out",
// so that DIR.checkpoint, DIR.lock and DIR.partial-PID sit beside DIR, never
// inside it (a checkpoint at "out/.checkpoint" made DIR itself).
std::string normal_dir(const std::string& dir) {
  if (dir.empty()) return dir;  // refused by the command, naming the empty --out
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p.empty() ? std::string(".") : p.string();
}

// `--resume [DIR]`: DIR, if given, is the output directory to continue.
void resume_option(CLI::App* cmd, std::string& dir, const char* what) {
  cmd->add_option("--resume", dir, what)->expected(0, 1);
}
bool resolve_resume(CLI::App* cmd, std::string dir, std::string& out_dir) {
  if (cmd->count("--resume") == 0) return false;
  dir = normal_dir(dir);
  if (!dir.empty()) {
    if (cmd->count("--out") && dir != out_dir)
      throw ionrail::input_error("--resume " + dir + " and --out " + out_dir + " name different directories");
    out_dir = dir;
  }
  return true;
}

// The command line again, with --resume, for the message of an interrupted run.
std::string resume_command(int argc, char** argv) {
  std::string cmd, arg;
  bool has_resume = false;
  for (int k = 0; k < argc; ++k) {
    arg = argv[k];
    has_resume = has_resume || arg == "--resume" || arg.rfind("--resume=", 0) == 0;
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:+") == std::string::npos;
    cmd += (k ? " " : "") + (plain ? arg : "'" + arg + "'");
  }
  return has_resume ? cmd : cmd + " --resume";
}

}  // namespace

int main(int argc, char** argv) {
  // First the streams (a closed descriptor reserved before anything is
  // opened), then the signals: at any moment a signal leaves no staged
  // output or lock behind.
  runs::prepare_standard_streams();
  runs::install_signal_cleanup();
  CLI::App cli{"ionrail: ion migration in polymer memristors, from kinetic Monte Carlo to circuits"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string("ionrail ") + IONRAIL_VERSION);

  runs::run_options run_opt;
  std::string run_file, backend;
  std::string seed;  // text: all of 0 .. 2^64 - 1, which no signed type holds
  int threads = 0;
  auto* run = cli.add_subcommand("run", "Run an experiment file (TOML) and write traces, summary and plots to DIR");
  run->add_option("FILE", run_file, "Experiment or material file (TOML)")->required();
  run->add_option("--out", run_opt.out_dir, "Output directory")->capture_default_str();
  run->add_option("--seed", seed, "Random seed, 0 to 18446744073709551615 (overrides sim.seed)")
      ->check(integer_in<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max()));
  run->add_option("--threads", threads, "OpenMP threads, 0 to 4096 (overrides sim.threads; 0 = all cores)")
      ->check(integer_in(0, max_threads));
  run->add_option("--backend", backend, "cpu | cuda | auto (overrides sim.backend)");
  run->add_option("--set", run_opt.overrides, "Override a key: --set device.rails=500 (repeatable)");
  run->add_flag("--force", run_opt.force, "Replace DIR (and an interrupted run's DIR.checkpoint) if it exists");
  run->add_flag("--quiet", run_opt.quiet, "No progress output");
  run->add_option("--checkpoint-every", run_opt.checkpoint_every_s,
                  "Save a checkpoint in DIR.checkpoint every SECONDS of wall-clock time (SIGINT/SIGTERM always save one)")
      ->check(seconds_in(0, max_checkpoint_every_s));
  max_work_option(run, run_opt.max_work);
  std::string run_resume;
  resume_option(run, run_resume, "Continue the run interrupted in DIR.checkpoint (DIR: the output directory, else --out)");

  std::string plot_dir;
  auto* plot = cli.add_subcommand("plot", "Redraw the plots of a run directory from its data");
  plot->add_option("DIR", plot_dir, "A directory written by `ionrail run`")->required();

  auto* info = cli.add_subcommand("info", "Version, build options and backends");

  app::demo_options demo_opt;
  auto* demo = cli.add_subcommand("demo", "Run the paper's experiments on the default material and write a report");
  demo->add_option("--out", demo_opt.out_dir, "Output directory")->capture_default_str();
  demo->add_option("--experiments", demo_opt.experiments_dir, "Directory of the experiment files (default: found automatically)");
  demo->add_flag("--quiet", demo_opt.quiet, "No progress output");
  demo->add_flag("--force", demo_opt.force, "Replace DIR if it exists");
  int demo_threads = 0;
  threads_option(demo, demo_threads);

  runs::calibrate_options cal_opt;
  std::string cal_file;
  auto* calibrate = cli.add_subcommand("calibrate", "Calibrate the compact model's response table from KMC ensembles");
  calibrate->add_option("FILE", cal_file, "Material or run file with a [calibration] section (TOML)")->required();
  calibrate->add_option("--out", cal_opt.out_dir, "Output directory for the table")->capture_default_str();
  calibrate->add_option("--set", cal_opt.overrides, "Override a key (repeatable)");
  calibrate->add_flag("--force", cal_opt.force, "Replace DIR if it exists");
  std::string cal_resume;
  resume_option(calibrate, cal_resume, "Continue the calibration interrupted in DIR.checkpoint (DIR: the output directory, else --out)");
  calibrate->add_option("--checkpoint-every", cal_opt.checkpoint_every_s,
                        "Save the runs' states in DIR.checkpoint every SECONDS of wall-clock time (SIGINT/SIGTERM always do)")
      ->check(seconds_in(0, max_checkpoint_every_s));
  calibrate->add_flag("--quiet", cal_opt.quiet, "No progress output");
  max_work_option(calibrate, cal_opt.max_work);
  int cal_threads = 0;
  threads_option(calibrate, cal_threads);

  runs::fit_options fit_opt;
  std::string fit_file;
  auto* fit = cli.add_subcommand("fit", "Fit material parameters to measured curves (docs/measurements.md)");
  fit->add_option("FILE", fit_file, "Measurement file with a [fit] section (TOML)")->required();
  fit->add_option("--out", fit_opt.out_dir, "Output directory")->capture_default_str();
  fit->add_option("--set", fit_opt.overrides, "Override a key (repeatable)");
  fit->add_flag("--force", fit_opt.force, "Replace DIR (and an interrupted fit's DIR.checkpoint) if it exists");
  std::string fit_resume;
  resume_option(fit, fit_resume, "Continue the fit interrupted in DIR.checkpoint (DIR: the output directory, else --out)");
  fit->add_flag("--quiet", fit_opt.quiet, "No progress output");
  max_work_option(fit, fit_opt.max_work);
  int fit_threads = 0;
  threads_option(fit, fit_threads);

  runs::replay_options rep_opt;
  auto* replay = cli.add_subcommand("replay", "Run the compact model of a calibrated table through a protocol");
  replay->add_option("DIR", rep_opt.table_dir, "Directory written by `ionrail calibrate`")->required();
  replay->add_option("--protocol", rep_opt.protocol_file, "Run file with the protocol (TOML)")->required();
  replay->add_option("--out", rep_opt.out_dir, "Output directory")->capture_default_str();
  replay->add_flag("--compare-kmc", rep_opt.compare_kmc, "Also run KMC and write fidelity.json");
  replay->add_flag("--no-noise", rep_opt.no_noise, "Model devices without noise, all from s_eq (the noise-free mean path)");
  replay->add_option("--set", rep_opt.overrides, "Override a key of the protocol file (repeatable)");
  replay->add_flag("--force", rep_opt.force, "Replace the output directory if it exists");
  replay->add_flag("--quiet", rep_opt.quiet, "No progress output");
  max_work_option(replay, rep_opt.max_work);
  int rep_threads = 0;
  threads_option(replay, rep_threads);

  app::crossbar_options xb_opt;
  std::string xb_file;
  int xb_threads = 0;
  auto* crossbar = cli.add_subcommand("crossbar", "Train a crossbar (8x8 digits) or a network of tiled crossbars (MNIST)");
  crossbar->add_option("FILE", xb_file, "Run file with a [crossbar] section (TOML)")->required();
  crossbar->add_option("--out", xb_opt.out_dir, "Output directory")->capture_default_str();
  crossbar->add_option("--set", xb_opt.overrides, "Override a key (repeatable)");
  crossbar->add_flag("--force", xb_opt.force, "Replace the output directory if it exists");
  crossbar->add_flag("--quiet", xb_opt.quiet, "No progress output");
  max_work_option(crossbar, xb_opt.max_work);
  threads_option(crossbar, xb_threads);

  app::sweep_options sw_opt;
  std::string sw_file;
  bool sw_mpi = false;
  auto* sweep = cli.add_subcommand("sweep", "Run a parameter sweep: one run per point of FILE's [sweep] section");
  sweep->add_option("FILE", sw_file, "Run file with a [sweep] section (TOML)")->required();
  sweep->add_option("--out", sw_opt.out_dir, "Output directory (re-launching skips finished points)")->capture_default_str();
  sweep->add_option("--set", sw_opt.overrides, "Override a key of every point (repeatable)");
  sweep->add_option("--jobs", sw_opt.jobs, "Points run side by side on this machine, 1 to 1024")
      ->capture_default_str()
      ->check(integer_in(1, max_jobs));
  sweep->add_flag("--mpi", sw_mpi, "Distribute the points over MPI ranks (run under mpirun)");
  sweep->add_option("--gpus-per-node", sw_opt.gpus_per_node, "With --mpi: one rank per GPU, rank i sees GPU i mod N (0 to 1024)")
      ->check(integer_in(0, max_gpus_per_node));
  sweep->add_flag("--force", sw_opt.force, "Start over: remove DIR first");
  sweep->add_flag("--quiet", sw_opt.quiet, "No progress output");
  max_work_option(sweep, sw_opt.max_work);

  app::snn_options snn_opt;
  std::string snn_file;
  int snn_threads = 0;
  auto* snn = cli.add_subcommand("snn", "Train a spiking network with memristive STDP synapses (8x8 digits or MNIST)");
  snn->add_option("FILE", snn_file, "Run file with an [snn] section (TOML)")->required();
  snn->add_option("--out", snn_opt.out_dir, "Output directory")->capture_default_str();
  snn->add_option("--set", snn_opt.overrides, "Override a key (repeatable)");
  snn->add_flag("--force", snn_opt.force, "Replace the output directory if it exists");
  snn->add_flag("--quiet", snn_opt.quiet, "No progress output");
  max_work_option(snn, snn_opt.max_work);
  threads_option(snn, snn_threads);

  app::export_options ex_opt;
  auto* exp = cli.add_subcommand("export", "Write a calibrated table's device for circuit simulators (docs/spice.md)");
  exp->require_subcommand(1);
  auto* exp_spice = exp->add_subcommand("spice", "ngspice subcircuit library DIR/ionrail.lib");
  auto* exp_va = exp->add_subcommand("verilog-a", "Verilog-A module DIR/ionrail_mem.va");
  for (auto* c : {exp_spice, exp_va}) {
    c->add_option("TABLE_DIR", ex_opt.table_dir, "Directory written by `ionrail calibrate`")->required();
    c->add_option("--out", ex_opt.out_dir, "Output directory")->capture_default_str();
    c->add_flag("--force", ex_opt.force, "Replace the output directory if it exists");
    c->add_flag("--quiet", ex_opt.quiet, "No progress output");
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ValidationError& e) {
    // One line naming the option, the value and the range.
    fmt::print(stderr, "ionrail: {}\n", e.what());
    return 2;
  } catch (const CLI::ParseError& e) {
    // `export spicey TABLE`: CLI11 says only that a subcommand is required.
    if (exp->parsed() && exp->get_subcommands().empty() && e.get_exit_code() != 0) {
      const auto rest = exp->remaining();
      fmt::print(stderr, "ionrail export: {}: expected the target, spice or verilog-a, then TABLE_DIR\n",
                 rest.empty() ? std::string("no target given") : "target '" + rest.front() + "' is unknown");
      return 2;
    }
    return cli.exit(e) == 0 ? 0 : 2;
  }
  for (std::string* d : {&run_opt.out_dir, &demo_opt.out_dir, &cal_opt.out_dir, &fit_opt.out_dir, &rep_opt.out_dir,
                         &xb_opt.out_dir, &sw_opt.out_dir, &snn_opt.out_dir, &ex_opt.out_dir})
    *d = normal_dir(*d);

  try {
    if (*info) return print_info();
    // "All cores" (threads 0) is what OpenMP's environment says: beyond the
    // range of --threads, libgomp failed or crashed creating the team.
    if (omp_get_max_threads() > max_threads) {
      const char* env = std::getenv("OMP_NUM_THREADS");
      throw input_error(fmt::format("OMP_NUM_THREADS = '{}': at most {} threads (the range of --threads); lower or unset it",
                                    env != nullptr ? env : "", max_threads));
    }
    if (*plot) {
      // A regular file, by the rules of every input (gnuplot would wait on
      // a FIFO for ever): read once through the checked reader.
      {
        std::string bytes, why;
        const std::string gp = (std::filesystem::path(plot_dir) / "plots.gp").string();
        if (!ionrail::model_io::try_read_input_file(gp, ionrail::model_io::max_input_bytes, bytes, why)) {
          if (why == "no such file")
            fmt::print(stderr, "ionrail plot: {}: no plots.gp here (not a run directory)\n", plot_dir);
          else
            fmt::print(stderr, "ionrail plot: {}: cannot read it ({})\n", gp, why);
          return 2;
        }
      }
      if (!runs::redraw_plots(plot_dir)) return 1;
      fmt::print(stderr, "ionrail plot: redrew the plots of {} from its data\n", plot_dir);
      return 0;
    }
    if (*run) {
      if (run->count("--seed")) run_opt.overrides.push_back("sim.seed=" + seed);
      if (run->count("--threads")) run_opt.overrides.push_back(fmt::format("sim.threads={}", threads));
      if (!backend.empty()) run_opt.overrides.push_back(fmt::format("sim.backend=\"{}\"", backend));
      run_opt.resume = resolve_resume(run, run_resume, run_opt.out_dir);
      run_opt.checkpoints = true;
      runs::check_file_is_for(ionrail::config::load_run_config(run_file, run_opt.overrides), "run");
      const auto result = runs::run_experiment(run_file, run_opt);
      if (!run_opt.quiet) fmt::print(stderr, "ionrail: wrote {}\n", result.out_dir);
      return 0;
    }
    if (*demo) {
      apply_threads(demo_threads);
      return app::run_demo(demo_opt);
    }
    if (*calibrate) {
      apply_threads(cal_threads);
      cal_opt.resume = resolve_resume(calibrate, cal_resume, cal_opt.out_dir);
      cal_opt.checkpoints = true;
      runs::run_calibration(cal_file, cal_opt);
      return 0;
    }
    if (*fit) {
      apply_threads(fit_threads);
      fit_opt.resume = resolve_resume(fit, fit_resume, fit_opt.out_dir);
      fit_opt.checkpoints = true;
      const auto r = runs::run_fit(fit_file, fit_opt);
      if (!fit_opt.quiet) {
        for (const auto& p : r.parameters)
          fmt::print(stderr, "ionrail fit: {} = {:.6g} ± {}\n", p.name, p.value,
                     p.identifiable ? fmt::format("{:.3g}", p.sigma) : std::string("? (not identifiable)"));
        fmt::print(stderr, "ionrail fit: {} evaluations in {:.1f} s; wrote {}\n", r.evaluations, r.wall_s, r.out_dir);
      }
      return 0;
    }
    if (*crossbar) {
      apply_threads(xb_threads);
      const std::string line = app::run_crossbar_command(xb_file, xb_opt);
      if (!xb_opt.quiet) fmt::print(stderr, "{}\n", line);
      return 0;
    }
    if (*sweep) {
      if (sw_mpi) {
#ifdef IONRAIL_HAVE_MPI
        return app::run_sweep_mpi(sw_file, sw_opt);
#else
        fmt::print(stderr, "ionrail sweep: --mpi: this build has no MPI (configure with Open MPI installed, "
                           "IONRAIL_MPI=ON); without --mpi the points run on this machine (--jobs)\n");
        return 2;
#endif
      }
      app::run_sweep(sw_file, sw_opt);
      return 0;
    }
    if (*snn) {
      apply_threads(snn_threads);
      const auto r = app::run_snn(snn_file, snn_opt);
      if (!snn_opt.quiet)
        fmt::print(stderr, "ionrail snn: test accuracy {:.1f} %; wrote {}\n", 100 * r.test_accuracy, snn_opt.out_dir);
      return 0;
    }
    if (*exp) {
      ex_opt.target = *exp_spice ? "spice" : "verilog-a";
      const std::string file = app::run_export(ex_opt);
      if (!ex_opt.quiet) fmt::print(stderr, "ionrail export {}: wrote {}\n", ex_opt.target, file);
      return 0;
    }
    if (*replay) {
      if (rep_opt.no_noise && rep_opt.compare_kmc)
        throw ionrail::input_error("replay: --no-noise with --compare-kmc: the comparison with KMC needs the model's "
                                   "noisy ensemble (its spread); drop one of them");
      apply_threads(rep_threads);
      const auto f = runs::run_replay(rep_opt);
      if (f.compared && !rep_opt.quiet)
        fmt::print(stderr, "ionrail replay: NRMSE of mean G {:.2f} %, spread ratio {:.2f} ({} devices); wrote {}\n",
                   100 * f.nrmse_mean_g, f.spread_ratio, f.devices, rep_opt.out_dir);
      else if (!rep_opt.quiet)
        fmt::print(stderr, "ionrail replay: wrote {} (the compact model alone; --compare-kmc also runs KMC)\n",
                   rep_opt.out_dir);
      return 0;
    }
  } catch (const calibration::interrupted& e) {
    if (e.resumable()) fmt::print(stderr, "ionrail: {}; resume with: {}\n", e.what(), resume_command(argc, argv));
    else fmt::print(stderr, "ionrail: {}\n", e.what());
    return 128 + e.signal();
  } catch (const ionrail::input_error& e) {
    fmt::print(stderr, "ionrail: {}\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "ionrail: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ionrail: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
