#pragma once
// The hardware cost section of the crossbar report (docs/circuits.md,
// "Hardware cost"): cost.csv, the Markdown table and the stacked bar plot.
#include <filesystem>
#include <string>

#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/crossbar_mlp.hpp>
#include <ionrail/circuits/hardware_cost.hpp>
#include <ionrail/config/hardware_file.hpp>

namespace ionrail::app {

// The cost of the compact-model crossbar's last epoch (rep.device), per
// inference (a test read), per update (a training sample: its read, the
// rule's digital work and its write) and per epoch, with `layout`.
circuits::hardware_cost crossbar_cost(const circuits::learning_report& rep, const circuits::cost_layout& layout,
                                      const circuits::hardware_params& hw, int train_digits, int test_digits);

// The same for the multi-layer network's last epoch: one layout per layer
// (its tiles), layers read one after the other (latencies add), the
// accumulator's bits read and written for every weight on every training
// sample (mixed precision), and the digital work of the sigmoid, softmax
// and backpropagation per sample.
circuits::hardware_cost network_cost(const circuits::mlp_report& rep, const std::vector<circuits::cost_layout>& layouts,
                                     const circuits::hardware_params& hw, int train_samples, int test_samples);

// Writes cost.csv and cost_shares.dat into `dir`, and returns the report's
// Markdown section; `plots` gets the stacked bar plot's gnuplot lines
// (cost.png).
std::string write_cost_report(const std::filesystem::path& dir, const circuits::hardware_cost& cost,
                              const config::hardware_file& hw, std::string& plots);

// value in `unit` with an SI prefix from f to k: "3.2 pJ", "12 µm²" (area:
// the prefix applies to the metre, squared).
std::string si_text(double value, const std::string& unit, bool squared = false);

}  // namespace ionrail::app
