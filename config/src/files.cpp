#include "files.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/input_file.hpp>

#include "message_text.hpp"

namespace ionrail::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t max_input_bytes = std::uintmax_t{64} << 20;
constexpr std::size_t max_csv_values = 65533;

}  // namespace

bool read_text(const std::string& file, std::string& text, std::string& why) {
  // A regular file of at most 64 MiB, by the rules of every input file
  // (model_io/input_file.hpp): a device or a pipe (/dev/zero, a FIFO) is
  // refused at once instead of read forever.
  return model_io::try_read_input_file(file, max_input_bytes, text, why);
}

toml::table parse_toml(const std::string& file, const std::string& text) {
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw config_error(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                       one_line(std::string(e.description())));
  }
}

std::string resolve(const std::string& ref, const std::string& named_by, std::vector<std::string>& tried) {
  std::error_code ec;
  const fs::path r(ref);
  std::vector<fs::path> candidates;
  if (!r.is_absolute() && named_by != set_origin)
    candidates.push_back((fs::path(named_by).parent_path() / r).lexically_normal());
  const fs::path as_given = r.lexically_normal();
  if (candidates.empty() || candidates[0] != as_given) candidates.push_back(as_given);
  for (const auto& c : candidates) {
    tried.push_back(c.string());
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  return {};
}

std::string tried_text(const std::vector<std::string>& tried) {
  std::string out = "cannot open '" + tried[0] + "'";
  for (std::size_t i = 1; i < tried.size(); ++i) out += " nor '" + tried[i] + "'";
  return out;
}

bool parse_number_list(const std::string& file, const std::string& text, std::vector<double>& out, std::string& error) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool seen_data = false;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string token;
    bool first_token = true;
    while (fields >> token) {
      char* end = nullptr;
      const double v = std::strtod(token.c_str(), &end);
      if (end == token.c_str() || *end != '\0') {
        if (!seen_data && first_token) break;  // a header line
        error = file + ":" + std::to_string(number) + ": expected a number, got '" + token + "'";
        return false;
      }
      if (!std::isfinite(v)) {
        error = file + ":" + std::to_string(number) + ": value " + std::to_string(out.size()) + " = " + token +
                ": must be finite";
        return false;
      }
      if (out.size() >= max_csv_values) {
        error = file + ":" + std::to_string(number) + ": more than " + std::to_string(max_csv_values) +
                " values (one per site, and sites <= 65533)";
        return false;
      }
      out.push_back(v);
      first_token = false;
    }
    if (!first_token || line.find_first_not_of(" \t\r") != std::string::npos) seen_data = true;
  }
  return true;
}

}  // namespace ionrail::config::detail
