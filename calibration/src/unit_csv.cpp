#include "unit_csv.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>

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

// A decimal number and nothing else ("nan", "inf" parse, and are refused by
// the caller as not finite, naming them).
bool parse_number(const std::string& text, double& out) {
  if (text.empty() || text.find_first_of("xXpP") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  // Past a double's range: 1e400 is inf (refused as not finite), 1e-400
  // underflows to 0 (refused here rather than read as 0).
  if (errno == ERANGE && std::isfinite(out)) return false;
  return end == text.c_str() + text.size();
}

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
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the
  // first column's name.
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) bytes.erase(0, 3);
  // Text only: a NUL cut the messages short, and a file with CR-only line
  // ends (one long line) showed a raw CR in them.
  {
    std::uint32_t n = 1;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto b = static_cast<unsigned char>(bytes[i]);
      if (b == '\n') ++n;
      const bool line_end = b == '\r' && (i + 1 == bytes.size() || bytes[i + 1] == '\n');
      if ((b < 0x20 && b != '\n' && b != '\t' && !line_end) || b == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02x", b);
        throw input_error(path + ":" + std::to_string(n) + ": byte " + code +
                          (b == '\r' ? " (a carriage return inside a line: lines end with LF or CR LF)"
                                      : " (a control character): expected a text CSV file"));
      }
    }
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
