#pragma once
// The checks every CSV this project reads shares (the waveforms here, the
// measured curves and pulse trains of the calibration library), in one
// place so that they do not drift apart.
#include <string>

namespace ionrail::kmc {

// Takes a UTF-8 byte-order mark off the front of BYTES (spreadsheets write
// one) and refuses a byte that is no text: a control character other than
// tab and a line end, or a carriage return inside a line (CR-only line ends:
// the whole file one line). std::invalid_argument "PATH:LINE: byte 0xNN …".
void check_text_csv(const std::string& path, std::string& bytes);

// A decimal number and nothing else (no hex floats, no trailing text) within
// a double's range ("1e-400" is refused, not read as 0; "inf" and "nan"
// parse, for the caller to refuse by name).
bool parse_csv_number(const std::string& text, double& out);

}  // namespace ionrail::kmc
