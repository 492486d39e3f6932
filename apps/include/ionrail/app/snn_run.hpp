#pragma once
// `ionrail snn FILE.toml [--out DIR]`: the spiking network with memristive
// STDP (docs/circuits.md) with its report.
#include <string>
#include <vector>

#include <ionrail/circuits/snn.hpp>

namespace ionrail::app {

struct snn_options {
  std::string out_dir = "out/snn";
  bool force = false;
  bool quiet = false;
  std::vector<std::string> overrides;
};

// Measures the STDP window of the devices, trains FILE's [snn] network, and
// writes window.csv, labels.csv, confusion.csv, conductance.csv,
// receptive_fields.dat, summary.json, report.md and plots into DIR.
circuits::snn_report run_snn(const std::string& path, const snn_options& options);

}  // namespace ionrail::app
