#include "files.hpp"

#include <ionrail/config/run_config.hpp>

#include <algorithm>
#include <cctype>
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

bool toml_within_bounds(const std::string& text, std::size_t& line, std::string& why) {
  // One pass over the text as TOML's lexer sees it: strings (basic, literal,
  // multi-line) and comments hide brackets and dots; everything else is
  // counted. It need not judge validity (toml++ does); it only has to never
  // under-count what toml++ would recurse on.
  enum class state { plain, comment, basic, literal, ml_basic, ml_literal };
  state st = state::plain;
  const std::size_t n = text.size();
  std::size_t depth = 0;       // open [ and { outside strings
  std::size_t parts = 0;       // parts of the dotted key (or header) being read; 0: none
  std::size_t line_start = 0;
  line = 1;
  const auto triple = [&](std::size_t i, char q) { return i + 2 < n && text[i + 1] == q && text[i + 2] == q; };
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '\n') {
      if (i - line_start > max_line_bytes) break;
      ++line;
      line_start = i + 1;
      if (st == state::comment || st == state::basic || st == state::literal) st = state::plain;
      if (st == state::plain) parts = 0;
      continue;
    }
    switch (st) {
      case state::comment:
        break;
      case state::basic:
        if (c == '\\' && i + 1 < n && text[i + 1] != '\n') ++i;  // an escaped character (even a quote) is content
        else if (c == '"') st = state::plain;
        break;
      case state::literal:
        if (c == '\'') st = state::plain;
        break;
      case state::ml_basic:
      case state::ml_literal: {
        const char q = st == state::ml_basic ? '"' : '\'';
        if (st == state::ml_basic && c == '\\' && i + 1 < n && text[i + 1] != '\n') {
          ++i;  // an escaped character; a line-ending backslash leaves the newline to be counted
        } else if (c == q && triple(i, q)) {
          i += 2;
          // Up to two more quotes right before the delimiter are content.
          for (int extra = 0; extra < 2 && i + 1 < n && text[i + 1] == q; ++extra) ++i;
          st = state::plain;
        }
        break;
      }
      case state::plain:
        if (c == '#') {
          st = state::comment;
        } else if (c == '"' || c == '\'') {
          if (triple(i, c)) {
            st = c == '"' ? state::ml_basic : state::ml_literal;
            i += 2;
          } else {
            st = c == '"' ? state::basic : state::literal;
          }
          if (parts == 0) parts = 1;  // a quoted key part
        } else if (c == '.') {
          // A float's point counts too: harmless, a value has at most a few.
          if (++parts > max_key_parts) {
            why = "a dotted key or table header of more than " + std::to_string(max_key_parts) + " parts: at most " +
                  std::to_string(max_key_parts);
            return false;
          }
        } else if (c == '[' || c == '{') {
          parts = 0;
          if (++depth > max_nesting) {
            why = "arrays, inline tables and table headers nested more than " + std::to_string(max_nesting) +
                  " deep: at most " + std::to_string(max_nesting);
            return false;
          }
        } else if (c == ']' || c == '}') {
          parts = 0;
          if (depth > 0) --depth;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+') {
          if (parts == 0) parts = 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
          parts = 0;  // '=', ',' and anything else end a key
        }
        break;
    }
  }
  if (n - line_start > max_line_bytes) {
    why = "a line of more than " + std::to_string(max_line_bytes) + " bytes: at most " + std::to_string(max_line_bytes);
    return false;
  }
  return true;
}

toml::table parse_toml(const std::string& file, const std::string& text) {
  ::ionrail::config::check_toml_bounds(file, text);
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw config_error(file + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                       one_line(std::string(e.description())));
  }
}

namespace {

// P, or its lexically normal form where that is the same file (or P names
// nothing, for the messages).
fs::path tidy(const fs::path& p) {
  const fs::path normal = p.lexically_normal();
  std::error_code ec;
  if (normal == p || !fs::exists(p, ec)) return normal;
  return fs::exists(normal, ec) && fs::equivalent(p, normal, ec) ? normal : p;
}

}  // namespace

std::vector<fs::path> path_candidates(const std::string& ref, const std::string& named_by) {
  const fs::path r(ref);
  std::vector<fs::path> candidates;
  if (!r.is_absolute() && named_by != set_origin) candidates.push_back(tidy(fs::path(named_by).parent_path() / r));
  const fs::path as_given = tidy(r);
  if (candidates.empty() || candidates[0] != as_given) candidates.push_back(as_given);
  return candidates;
}

std::string resolve(const std::string& ref, const std::string& named_by, std::vector<std::string>& tried) {
  std::error_code ec;
  for (const auto& c : path_candidates(ref, named_by)) {
    tried.push_back(c.string());
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  return {};
}

std::string tried_text(const std::vector<std::string>& tried) {
  // A name that exists but is not a regular file (a FIFO, a directory, a
  // device) says what it is: "cannot open" alone reads as a missing file.
  const auto one = [](const std::string& path) {
    std::error_code ec;
    const std::string why = fs::exists(path, ec) ? model_io::input_file_type_problem(path) : std::string();
    return "'" + path + "'" + (why.empty() ? std::string() : " (" + why + ")");
  };
  std::string out = "cannot open " + one(tried[0]);
  for (std::size_t i = 1; i < tried.size(); ++i) out += " nor " + one(tried[i]);
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

namespace ionrail::config {

void check_toml_bounds(const std::string& file, const std::string& text) {
  std::size_t line = 0;
  std::string why;
  if (!detail::toml_within_bounds(text, line, why)) throw config_error(file + ":" + std::to_string(line) + ": " + why);
}

}  // namespace ionrail::config
