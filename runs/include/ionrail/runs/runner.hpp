#pragma once
// `ionrail run`: one experiment file → a directory of traces, profiles, a
// summary and plots. Variants (a [series] of values of one key, and/or a list
// of temperatures) each get a subdirectory and are overlaid in the plots.
#include <string>
#include <vector>

#include <ionrail/config/run_config.hpp>
#include <ionrail/runs/metrics.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::runs {

using ::ionrail::config::run_config;

struct run_options {
  std::string out_dir = "out/run";
  bool force = false;                  // replace an existing output directory
  bool quiet = false;
  std::vector<std::string> overrides;  // --set key=value, applied to every variant
  // Checkpoints in DIR.checkpoint/ (the CLI turns them on): SIGINT/SIGTERM
  // save one and end the run with `interrupted`; checkpoint_every_s > 0 also
  // saves one every that many seconds of wall-clock time; `resume` continues
  // from the last one, bit for bit as if never interrupted.
  bool checkpoints = false;
  double checkpoint_every_s = 0;
  bool resume = false;
  // Refuse, before starting, a run estimated above this many hop attempts
  // (kmc::estimate_work; --max-work).
  double max_work = kmc::default_work_limit;
};

struct variant_result {
  std::string label;      // "voltage_v = 5", "T = 300 K", or the title
  std::string subdir;     // relative to the output directory ("" for a single run)
  double series_value = 0;
  double temperature_k = 0;
  run_config config;
  std::vector<kmc::sample> trace;
  std::vector<double> read_times_s;     // pulses: reads in the gaps
  std::vector<double> read_g_s;         // pulses: G at those reads
  kmc::run_info info;
  kmc::transport_estimate transport;
  double drive_end_s = 0;
  double s_eq = 0;
  double wall_s = 0;
  int snapshots = 0;                    // columns of profile.csv after zone, x_nm
  std::vector<double> snapshot_times_s; // their times
  kmc::average_window average_window;   // protocol.average_window_s: profile_average.csv
  std::uint64_t average_samples = 0;    // sample times averaged over
  loop_figures loop;
  relax_figures relax;
};

struct experiment_result {
  std::string out_dir;
  std::string series_key;
  std::vector<variant_result> variants;
  bool arrhenius = false;          // a relax run over temperatures_k: temperature_fit was attempted
  arrhenius_fit temperature_fit;   // of τ: ln τ = a + (Ea/kB) (1/T); see its `determined`
  bool plotted = false;
};

// One variant of an experiment as checked before it runs.
struct variant_plan {
  run_config config;
  std::string label, subdir;
  double series_value = 0;
  double work = 0;  // estimated hop attempts (kmc::estimate_work)
};

// An experiment loaded and checked, nothing run or written: its variants,
// their simulated time and estimated work together.
struct experiment_plan {
  run_config base;
  std::vector<variant_plan> variants;
  double total_time_s = 0;
  double work = 0;
  double memory_bytes = 0;  // of the largest variant (variants run one at a time)
};

// Everything run_experiment checks before it touches DIR: the configuration
// of every variant (load_run_config, waveform files), the backend, the
// options, the estimated work against options.max_work and the memory.
// Throws ionrail::input_error (or config_error) naming the file and key; a
// sweep calls it for every point before running any.
experiment_plan plan_experiment(const std::string& path, const run_options& options);

// plan_experiment, then the run into options.out_dir.
experiment_result run_experiment(const std::string& path, const run_options& options);

// Runs DIR/plots.gp with gnuplot in DIR (a directory this command is
// writing); false (with a message) if gnuplot is missing or fails.
bool render_plots(const std::string& dir, bool quiet);

// `ionrail plot DIR`: draws DIR/plots.gp again into DIR.plot-PID (gnuplot
// reads DIR's data through its loadpath) and only if gnuplot succeeds moves
// each new image over its old one: a failed or interrupted redraw leaves the
// old images as they were. input_error, before gnuplot starts, if an entry
// of DIR is neither a regular file nor a directory (a FIFO or a link to
// /dev/zero: gnuplot would read it for ever).
bool redraw_plots(const std::string& dir);

std::string git_hash();

// The solver factory sim.backend asks for: empty for the CPU; the CUDA one for
// "cuda" (refused without a device) or for "auto" when a device is present.
kmc::solver_factory engine_backend(const run_config& config);

}  // namespace ionrail::runs
