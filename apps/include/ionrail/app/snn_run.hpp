#pragma once
// `ionrail snn FILE.toml [--out DIR]`: the spiking network with memristive
// STDP (docs/circuits.md) with its report.
#include <string>
#include <vector>

#include <ionrail/circuits/snn.hpp>
#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::app {

struct snn_options {
  std::string out_dir = "out/snn";
  bool force = false;
  bool quiet = false;
  std::vector<std::string> overrides;
  // Refuse, before starting, a run estimated above this many device updates
  // (counted as hop attempts are; --max-work).
  double max_work = kmc::default_work_limit;
};

// Measures the STDP window of the devices, trains FILE's [snn] network, and
// writes window.csv, labels.csv, confusion.csv, conductance.csv,
// receptive_fields.dat, summary.json, report.md and plots into DIR.
circuits::snn_report run_snn(const std::string& path, const snn_options& options);

}  // namespace ionrail::app
