#pragma once
// `ionrail sweep FILE.toml --out DIR`: a parameter sweep. FILE is a run file
// with a [sweep] section; every point is one `ionrail run` of FILE with the
// point's values set and its own seed, a pure function of the base seed and
// the point's index, so the results do not depend on which worker ran it.
//
//   [sweep]
//   figure = "tau_s"                      # for the heat map (a points.csv column)
//   heatmap = ["device.temperature_k", "field.ion_density_m3"]   # optional
//   points_csv = "points_in.csv"          # optional: a header of keys, a row per point
//   [[sweep.axis]]                        # or axes; the points are their product
//   key = "device.temperature_k"
//   values = [260, 280, 300]              # or range = [lo, hi, n] / log_range = [lo, hi, n]
//
// Output: DIR/points/pNNNNN/ (each point's run directory, written atomically),
// DIR/points.csv (a row per point: index, seed, the keys, summary figures),
// DIR/summary.json (an Arrhenius fit when device.temperature_k varies) and
// plots. A re-launched sweep skips the finished points (those with a
// summary.json) whose stored fingerprint (points/pNNNNN.fingerprint: the
// engine version and the point's resolved parameters) matches what the sweep
// file, as it is now, gives them; any other finished point refuses the
// re-launch (--force starts over). Two axes on one key and a value given
// twice in an axis are refused at load; every point's configuration and the
// work of all points together (--max-work) are checked before any point runs
// or DIR is touched, so a refused sweep leaves nothing behind. Files of an
// earlier launch (summary.json, fingerprints) are read as input files:
// a FIFO or a huge file there is refused, not waited on.
#include <cstdint>
#include <string>
#include <vector>

#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::app {

struct sweep_point {
  int index = 0;
  std::uint64_t seed = 0;
  std::vector<double> values;  // one per key
};

struct sweep_plan {
  std::string file;
  std::vector<std::string> keys;
  std::vector<sweep_point> points;
  std::string figure = "tau_s";
  std::vector<std::string> heatmap;  // empty or two keys
  std::uint64_t base_seed = 1;
};

// Reads FILE's [sweep] section (errors name the file, line and key, like the
// run configuration's) and lists the points.
sweep_plan load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

struct sweep_options {
  std::string out_dir = "out/sweep";
  bool force = false;   // start over: remove DIR first
  bool quiet = false;
  int jobs = 1;         // points run side by side on this machine (OpenMP), each single-threaded
  int gpus_per_node = 0;  // MPI: each rank sees GPU (node-local rank mod this) only; 0: leave CUDA alone
  std::vector<std::string> overrides;
  double max_work = kmc::default_work_limit;  // all points together (--max-work)
};

// The figures a point contributes to points.csv (from its run's result).
inline const std::vector<std::string>& sweep_figures() {
  static const std::vector<std::string> names{"tau_s",          "retained_after_10s", "lobe_area_positive_av",
                                              "lobe_area_negative_av", "d_tracer_m2_s",  "d_jump_m2_s",
                                              "haven_ratio",    "conductivity_s_m",   "energy_j"};
  return names;
}

// A point's results: its figures in sweep_figures() order (NaN where its
// run has none, e.g. tau_s of an I-V sweep), taken from the run's first
// variant.
struct sweep_row {
  int index = 0;
  std::vector<double> figures;
};

// Runs the points of `plan` with the given indices into DIR/points, skipping
// finished ones; returns their rows (in the order of `indices`).
std::vector<sweep_row> run_sweep_points(const sweep_plan& plan, const sweep_options& options, const std::vector<int>& indices);
// Checks every point as `ionrail run` would before it starts
// (plan_experiment: its configuration, files, backend, memory and work), and
// the estimated work of all points together against options.max_work; throws
// ionrail::input_error naming the point (its index and key values) that is
// refused, or the largest when together they are over the limit. Reads and
// writes nothing in DIR: called before DIR is locked or touched.
void check_sweep_points(const sweep_plan& plan, const sweep_options& options);
// Removes what killed runs of points left in DIR/points (pNNNNN.partial-PID,
// pNNNNN.replaced-PID) whose process is gone and whose point is not locked
// by a running command. Called under DIR's lock before any point runs.
void remove_stale_point_partials(const sweep_options& options);
// Refuses (input_error) an existing DIR that is not a sweep's: one holding
// an entry a sweep does not write (a user's summary.json would be replaced,
// their files mixed with the points). Empty, or an earlier launch's, it goes
// on. Called under DIR's lock, without --force, before anything is written.
void check_sweep_dir(const sweep_options& options);
// Refuses (config_error, naming the first) a finished point of DIR whose
// stored fingerprint differs from the one the plan gives it now, or that has
// none, or whose summary.json cannot be read. Called before any point runs.
void check_finished_points(const sweep_plan& plan, const sweep_options& options);
// One point's row: its run's result, or, if an earlier launch finished it
// with the same fingerprint, its summary.json.
sweep_row run_sweep_point(const sweep_plan& plan, const sweep_options& options, const sweep_point& p);

// Writes points.csv, summary.json and the plots from the rows of every point.
void write_sweep_outputs(const sweep_plan& plan, const sweep_options& options, const std::vector<sweep_row>& rows);

// `ionrail sweep` on one machine (points across OpenMP threads).
void run_sweep(const std::string& path, const sweep_options& options);

// `ionrail sweep` under mpirun (IONRAIL_MPI builds): initialises and
// finalises MPI itself; returns the process exit code.
int run_sweep_mpi(const std::string& path, sweep_options options);

}  // namespace ionrail::app
