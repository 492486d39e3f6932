#pragma once
// `ionrail fit FILE.toml`: material parameters fitted to measured curves
// (docs/measurements.md). Everything the file names (material, curves,
// waveforms, bounds) is read and checked before DIR is touched; then the
// optimiser runs, its evaluations saved in DIR.checkpoint after each one
// (SIGINT/SIGTERM stop it; --resume replays them exactly and goes on), and
// DIR gets the fitted material, fit.json, the curves and report.md with plots.
#include <string>
#include <vector>

#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::runs {

struct fit_options {
  std::string out_dir = "out/fit";
  bool force = false;
  bool resume = false;
  bool quiet = false;
  bool checkpoints = false;  // catch SIGINT/SIGTERM and stop with `interrupted` (the CLI turns it on)
  std::vector<std::string> overrides;
  double max_work = kmc::default_work_limit;  // every evaluation of the fit together (--max-work)
};

struct fit_parameter_outcome {
  std::string name;
  double value = 0;  // the fitted value
  double sigma = 0;             // its standard uncertainty (inf: not identifiable)
  bool identifiable = true;
};

struct fit_outcome {
  std::vector<fit_parameter_outcome> parameters;
  int evaluations = 0;
  double objective = 0;
  double wall_s = 0;
  std::string out_dir;
};

fit_outcome run_fit(const std::string& path, const fit_options& options);

}  // namespace ionrail::runs
