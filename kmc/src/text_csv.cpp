#include <ionrail/kmc/text_csv.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace ionrail::kmc {

void check_text_csv(const std::string& path, std::string& bytes) {
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) bytes.erase(0, 3);
  long long line = 1;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (b == '\n') ++line;
    const bool line_end = b == '\r' && (i + 1 == bytes.size() || bytes[i + 1] == '\n');
    if ((b < 0x20 && b != '\n' && b != '\t' && !line_end) || b == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", b);
      throw std::invalid_argument(path + ":" + std::to_string(line) + ": byte " + code +
                                  (b == '\r' ? " (a carriage return inside a line: lines end with LF or CR LF)"
                                             : " (a control character): expected a text CSV file"));
    }
  }
}

bool parse_csv_number(const std::string& text, double& out) {
  if (text.empty() || text.find_first_of("xXpP") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  if (errno == ERANGE && std::isfinite(out)) return false;  // underflow
  return end == text.c_str() + text.size();
}

}  // namespace ionrail::kmc
