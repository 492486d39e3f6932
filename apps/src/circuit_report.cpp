#include <ionrail/app/circuit_report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <ionrail/model_io/atomic_file.hpp>

namespace ionrail::app {

void write_confusion_csv(const std::filesystem::path& file, const std::array<std::array<int, 10>, 10>& confusion) {
  std::string csv = "true,predicted,count\n";
  for (std::size_t t = 0; t < 10; ++t)
    for (std::size_t p = 0; p < 10; ++p) csv += fmt::format("{},{},{}\n", t, p, confusion[t][p]);
  model_io::write_file_atomic(file, csv);
}

void write_conductance_histogram(const std::filesystem::path& file, const std::vector<double>& before_s,
                                 const std::vector<double>& after_s) {
  double top = 0;
  for (const auto* v : {&before_s, &after_s})
    for (double g : *v) top = std::max(top, g);
  const int bins = std::max(1, static_cast<int>(std::ceil(top * 1e6)) + 1);
  std::vector<int> before(static_cast<std::size_t>(bins)), after(static_cast<std::size_t>(bins));
  const auto bin = [bins](double g) { return static_cast<std::size_t>(std::clamp(static_cast<int>(g * 1e6), 0, bins - 1)); };
  for (double g : before_s) ++before[bin(g)];
  for (double g : after_s) ++after[bin(g)];
  std::string csv = "g_bin_s,devices_before,devices_after\n";
  for (std::size_t b = 0; b < static_cast<std::size_t>(bins); ++b)
    csv += fmt::format("{:.6g},{},{}\n", (static_cast<double>(b) + 0.5) * 1e-6, before[b], after[b]);
  model_io::write_file_atomic(file, csv);
}

}  // namespace ionrail::app
