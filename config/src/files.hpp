#pragma once
// The files a configuration reads: the run file, its material, and the
// files its keys name (found relative to the file that named them).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tomlpp.hpp"

namespace ionrail::config::detail {

// The origin of values given on the command line.
inline const std::string set_origin = "--set";

// Reads a whole regular file of at most 64 MiB; on failure returns false and says why.
bool read_text(const std::string& file, std::string& text, std::string& why);

// What reaches toml++ is bounded first, since it recurses once per key part
// and per nesting level and a deep enough input overflows the stack: at most
// max_key_parts parts in a dotted key or table header, [ and { nested at most
// max_nesting deep (outside strings and comments), lines of at most
// max_line_bytes. Returns false, the 1-based line and why when TEXT is not.
inline constexpr std::size_t max_key_parts = 64;
inline constexpr std::size_t max_nesting = 64;
inline constexpr std::size_t max_line_bytes = std::size_t{4} << 20;
bool toml_within_bounds(const std::string& text, std::size_t& line, std::string& why);
// Parses TOML (checked by toml_within_bounds first); a syntax error becomes a
// config_error "FILE:LINE:COLUMN: what".
toml::table parse_toml(const std::string& file, const std::string& text);

// Where REF, named by the file NAMED_BY (or by --set), may be: relative to
// NAMED_BY's directory (not for --set or an absolute REF), then as given.
// A ".." after a symbolic link leaves the link's target, as the system
// resolves it, not the directory the link sits in: a candidate is written
// in its lexically normal form only where that names the same file.
std::vector<std::filesystem::path> path_candidates(const std::string& ref, const std::string& named_by);

// A file named by a key: relative to the directory of the file that named it,
// else relative to the current directory. Returns "" if neither exists and
// lists what was tried.
std::string resolve(const std::string& ref, const std::string& named_by, std::vector<std::string>& tried);
std::string tried_text(const std::vector<std::string>& tried);  // "cannot open 'A' nor 'B'"

// One value per site: one per line or comma/whitespace-separated, '#' starts a
// comment, a first line that is not a number is a header. Errors: "FILE:LINE: ...".
bool parse_number_list(const std::string& file, const std::string& text, std::vector<double>& out, std::string& error);

}  // namespace ionrail::config::detail
