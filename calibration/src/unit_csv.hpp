#pragma once
// The measured-data CSV files (docs/measurements.md): a header naming every
// column with its SI unit, then rows of decimal numbers; '#' lines and blank
// lines are comments. Read and checked here once for every kind of measured
// file (the curves of `ionrail fit`, the pulse trains of a measured table);
// each kind names its own columns and checks what its rows mean.
#include <cstdint>
#include <string>
#include <vector>

namespace ionrail::calibration::detail {

struct unit_column {
  const char* name;  // with its unit: "t_s", "g_s"
  const char* what;  // "time (s)"
};

struct unit_csv {
  std::string file;
  std::vector<std::string> header;
  std::uint32_t header_line = 0;
  std::uint32_t last_line = 0;            // the file's last line (for "zero rows")
  std::vector<std::vector<double>> rows;  // one value per header column
  std::vector<std::vector<std::string>> cells;  // the text of each value (for messages)
  std::vector<std::uint32_t> line;        // the file line of each row
  // The column's index, or -1 when the header does not name it.
  int column(const char* name) const;
  // "FILE:LINE: "
  std::string at(std::uint32_t line_number) const;
};

// Reads FILE (a regular file within model_io's input size limit) whose
// columns must each be one of `known` (any order, each at most once).
// ionrail::input_error "FILE:LINE: what was found: expected what" for an
// empty file, numbers where the header belongs, a column without a known
// name and unit, a column twice, a row with another number of cells than the
// header, a cell that is not a decimal number, NaN or inf, and no data rows.
// `kind` names the file in messages ("measured curve", "pulse train").
unit_csv read_unit_csv(const std::string& path, const std::vector<unit_column>& known, const char* kind);

// 'text' cut to 40 characters, quoted (for messages).
std::string shown_cell(const std::string& s);

}  // namespace ionrail::calibration::detail
