#pragma once
// The one reader of the circuits' data sets (the digits CSV, the MNIST IDX
// files): the file itself through model_io's checked reader (a regular file
// of at most 64 MiB, so /dev/zero, a FIFO or a directory named as a data file
// is refused at once), then inflated in memory up to a bound, so a small file
// that inflates without end (a gzip bomb) is refused instead of filling
// memory. Bad input is std::invalid_argument naming the file (the commands
// exit 2).
#include <cstdint>
#include <string>

namespace ionrail::circuits {

// The bound of an inflated IDX file: 1 GiB, over twenty times the full
// MNIST training set (47 MB of pixels). A CSV is held to the bound of every
// input file (64 MiB) inflated too.
inline constexpr std::uintmax_t max_inflated_idx_bytes = std::uintmax_t{1} << 30;

// The inflated bytes of PATH, a gzip file (one or more members, as gzip
// writes them). A file that does not start with the gzip magic is returned
// as it is when PLAIN_ALLOWED, refused as "not a gzip file (expected WHAT)"
// otherwise. A truncated or corrupted stream, or data after the last member,
// is refused naming zlib's reason.
std::string read_gzip_input(const std::string& path, const std::string& what, bool plain_allowed,
                            std::uintmax_t max_inflated);

}  // namespace ionrail::circuits
