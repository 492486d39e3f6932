#pragma once
// `ionrail demo`: the paper's four experiments on the default material, a
// report with every plot, and the physics claims of that report checked.
#include <string>
#include <vector>

#include <ionrail/runs/runner.hpp>

namespace ionrail::app {

struct demo_options {
  std::string out_dir = "out/demo";
  std::string experiments_dir;  // empty: ./experiments, then the installed share/ionrail/experiments
  bool quiet = false;
  bool force = false;  // replace an existing output directory
  std::vector<std::string> overrides;  // applied to every experiment (tests use smaller runs)
};

struct claim {
  std::string text;
  bool holds = false;
  std::string evidence;
};

// Claims the report makes, checked on the results (see docs/demo.md).
std::vector<claim> relax_claims(const runs::experiment_result& by_voltage, const runs::experiment_result& by_time);
std::vector<claim> iv_claims(const runs::experiment_result& by_rate);
std::vector<claim> pulse_claims(const runs::experiment_result& pulses);

// Returns the process exit code: 0, or 3 if a claim failed.
int run_demo(const demo_options& options);

std::string find_experiments_dir(const std::string& hint);

}  // namespace ionrail::app
