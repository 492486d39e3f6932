#pragma once
// `ionrail crossbar FILE.toml [--out DIR]`: the digit-learning crossbar
// experiment (docs/circuits.md) with its report.
#include <string>
#include <vector>

#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::app {

struct crossbar_options {
  std::string out_dir = "out/crossbar";
  bool force = false;
  bool quiet = false;
  std::vector<std::string> overrides;
  // Refuse, before starting, a run estimated above this many device updates
  // (counted as hop attempts are; --max-work).
  double max_work = kmc::default_work_limit;
};

// Runs the three learners of FILE's [crossbar] section and writes
// epochs.csv, confusion.csv, conductance.csv, weights.csv, summary.json,
// report.md and its plots into DIR. Returns the report.
circuits::learning_report run_crossbar(const std::string& path, const crossbar_options& options);

// FILE's [crossbar] names the multi-layer network (`hidden` given, or `data`
// an MNIST IDX directory): trains it (circuits/crossbar_mlp.hpp) and writes
// epochs.csv, confusion.csv, conductance.csv, summary.json, report.md and
// plots into DIR.
circuits::mlp_report run_crossbar_network(const std::string& path, const crossbar_options& options);
bool crossbar_is_network(const std::string& path, const crossbar_options& options);

// The command: either experiment, by FILE; returns the line it prints.
std::string run_crossbar_command(const std::string& path, const crossbar_options& options);

}  // namespace ionrail::app
