#pragma once
// The one reader of a file named by the user (a table, a known-answer vector
// file, a checkpoint, a run or material file, a site-energy or initial-profile
// CSV): only a regular file is read, and only up to a bound, so a FIFO or a
// device named as an input (/dev/zero, a pipe nobody writes) is refused at
// once instead of blocking or filling memory, and a runaway file is refused
// before it is read. The type is checked before opening and again on the open
// descriptor (opened non-blocking, so a FIFO swapped in between cannot block
// the open), the size before reading, and the reading stops past the bound
// (the file may grow while it is read). Standard library and POSIX only.
#include <cstdint>
#include <string>
#include <vector>

namespace ionrail::model_io {

// The bound of every input file unless its reader documents another.
inline constexpr std::uintmax_t max_input_bytes = std::uintmax_t{64} << 20;

// The whole file PATH in BYTES, or false with WHY saying what is wrong
// (no file name: "no such file", "is a directory", "a FIFO, not a regular
// file", "67108865 bytes, more than the limit of 64 MiB", the system's
// reason), for callers that word their own refusal.
bool try_read_input_file(const std::string& path, std::uintmax_t max_bytes, std::string& bytes, std::string& why);

// What keeps PATH, by its type alone, from being an input file ("no such
// file", "is a directory", "a FIFO, not a regular file", ...), or "" when it
// is a regular file: for a caller that looks a name up among candidates and
// must say why one that exists was passed over. Only stats; opens nothing.
std::string input_file_type_problem(const std::string& path);

// Every file this process has read through the functions here (absolute,
// symbolic links resolved), in the order first read: for an output layer
// that must not delete an input (`--out DIR --force` where DIR holds the
// table or the configuration it reads).
std::vector<std::string> input_files_read();
// Forgets them: a process that runs several commands (the Python module)
// starts each with none, so that a table loaded earlier in the session
// does not count as an input of a later command.
void forget_input_files_read();

// The whole file PATH; ionrail::input_error "PATH: cannot open WHAT (WHY)"
// otherwise (WHAT says which input it is, e.g. "table file", "checkpoint").
std::string read_input_file(const std::string& path, std::uintmax_t max_bytes = max_input_bytes,
                            const std::string& what = "input file");

}  // namespace ionrail::model_io
