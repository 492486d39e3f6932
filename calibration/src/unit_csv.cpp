#include "unit_csv.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/kmc/text_csv.hpp>

namespace ionrail::calibration::detail {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.emplace_back();  // a trailing empty cell counts
  return out;
}

// A decimal number in a double's range and nothing else ("nan", "inf"
// parse, and are refused by the caller as not finite, naming them).
bool parse_number(const std::string& text, double& out) { return kmc::parse_csv_number(text, out); }

}  // namespace

std::string shown_cell(const std::string& s) { return s.size() > 40 ? "'" + s.substr(0, 40) + "...'" : "'" + s + "'"; }

int unit_csv::column(const char* name) const {
  for (std::size_t k = 0; k < header.size(); ++k)
    if (header[k] == name) return static_cast<int>(k);
  return -1;
}

std::string unit_csv::at(std::uint32_t n) const { return file + ":" + std::to_string(n) + ": "; }

unit_csv read_unit_csv(const std::string& path, const std::vector<unit_column>& known, const char* kind) {
  std::string bytes = model_io::read_input_file(path, model_io::max_input_bytes, kind);
  try {
    kmc::check_text_csv(path, bytes);  // a BOM taken off; control bytes refused by line
  } catch (const std::invalid_argument& e) {
    throw input_error(e.what());
  }
  std::string known_list;
  for (const auto& k : known) known_list += (known_list.empty() ? "" : ", ") + std::string(k.name);
  unit_csv c;
  c.file = path;
  std::istringstream in(bytes);
  std::string line;
  std::uint32_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    std::vector<std::string> cells = split(content);
    if (c.header.empty()) {
      for (std::size_t k = 0; k < cells.size(); ++k) {
        const std::string& name = cells[k];
        const bool is_known =
            std::any_of(known.begin(), known.end(), [&](const unit_column& u) { return name == u.name; });
        if (!is_known) {
          double ignored = 0;
          if (parse_number(name, ignored))
            throw input_error(c.at(number) + "found numbers where the header belongs: expected a first line naming the "
                              "columns with their units (" + known_list + ")");
          throw input_error(c.at(number) + "column " + std::to_string(k + 1) + " " + shown_cell(name) +
                            ": no known name with its unit; expected one of " + known_list +
                            " (SI units: seconds, volts, siemens, amperes)");
        }
        for (std::size_t j = 0; j < k; ++j)
          if (cells[j] == name) throw input_error(c.at(number) + "column " + shown_cell(name) + " appears twice");
      }
      c.header = std::move(cells);
      c.header_line = number;
      continue;
    }
    if (cells.size() != c.header.size())
      throw input_error(c.at(number) + std::to_string(cells.size()) + " columns: expected " +
                        std::to_string(c.header.size()) + " as the header (line " + std::to_string(c.header_line) +
                        ") names");
    std::vector<double> v(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      if (!parse_number(cells[k], v[k]))
        throw input_error(c.at(number) + c.header[k] + " = " + shown_cell(cells[k]) + ": expected a decimal number in a double's range");
      if (!std::isfinite(v[k]))
        throw input_error(c.at(number) + c.header[k] + " = " + shown_cell(cells[k]) + ": expected a finite number (a curve with " +
                          "NaN or inf cannot be used; drop the row)");
    }
    c.rows.push_back(std::move(v));
    c.cells.push_back(std::move(cells));
    c.line.push_back(number);
  }
  c.last_line = number;
  if (c.header.empty())
    throw input_error(path + ":1: empty file: expected a header (" + known_list + ") and data rows");
  if (c.rows.empty())
    throw input_error(path + ":" + std::to_string(number) + ": zero data rows after the header: expected at least one");
  return c;
}

}  // namespace ionrail::calibration::detail
