#pragma once
// Files the circuit reports (ionrail crossbar, ionrail snn) share.
#include <array>
#include <filesystem>
#include <vector>

namespace ionrail::app {

// confusion.csv: true,predicted,count for a 10-class confusion matrix.
void write_confusion_csv(const std::filesystem::path& file, const std::array<std::array<int, 10>, 10>& confusion);

// conductance.csv: histograms (1 µS bins) of device conductances (S) before
// and after training.
void write_conductance_histogram(const std::filesystem::path& file, const std::vector<double>& before_s,
                                 const std::vector<double>& after_s);

}  // namespace ionrail::app
