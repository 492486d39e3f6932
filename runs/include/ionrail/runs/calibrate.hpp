#pragma once
// `ionrail calibrate` and `ionrail replay`: options in, the calibration
// library (ionrail::calibrate) called, the table and reports out.
#include <string>
#include <vector>

#include <ionrail/calibration/fidelity.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::runs {

using calibration::fidelity_figures;

struct calibrate_options {
  std::string out_dir = "out/table";
  bool force = false;
  bool resume = false;   // reuse the runs saved in DIR.checkpoint by an interrupted calibration
  bool quiet = false;
  // SIGINT/SIGTERM save the running runs' states in DIR.checkpoint and end
  // the calibration with `interrupted` (the CLI turns this on); with
  // checkpoint_every_s > 0 they are also saved every that many seconds.
  bool checkpoints = false;
  double checkpoint_every_s = 0;
  std::vector<std::string> overrides;
  double max_work = kmc::default_work_limit;  // all runs of the ensemble together (--max-work)
};
// `ionrail calibrate FILE --out DIR`: the table in four formats plus metadata.
// A file with [measured_table] builds it from measured pulse trains
// (run_measured_table) instead of KMC ensembles.
void run_calibration(const std::string& path, const calibrate_options& options);
// The table from the measured pulse trains of cfg's [measured_table], with
// the fidelity on its held-out trains, a report and plots.
void run_measured_table(const config::run_config& cfg, const calibrate_options& options);

struct replay_options {
  std::string table_dir;
  std::string protocol_file;
  std::string out_dir = "out/replay";
  bool compare_kmc = false;
  bool no_noise = false;  // --no-noise: the noise-free mean path (replay_setup::noise)
  bool force = false;
  bool quiet = false;
  std::vector<std::string> overrides;
  double max_work = kmc::default_work_limit;  // the --compare-kmc run (--max-work)
};
// `ionrail replay DIR --protocol FILE [--compare-kmc]`.
fidelity_figures run_replay(const replay_options& options);

}  // namespace ionrail::runs
