#include "gzip_input.hpp"

#include <zlib.h>

#include <ionrail/model_io/input_file.hpp>
#include <stdexcept>

namespace ionrail::circuits {

namespace {

bool gzip_magic(const std::string& bytes, std::size_t at) {
  return bytes.size() >= at + 2 && static_cast<unsigned char>(bytes[at]) == 0x1f &&
         static_cast<unsigned char>(bytes[at + 1]) == 0x8b;
}

// Ends the inflate state on every path out.
struct inflater {
  z_stream z{};
  bool open = false;
  ~inflater() {
    if (open) inflateEnd(&z);
  }
};

}  // namespace

std::string read_gzip_input(const std::string& path, const std::string& what, bool plain_allowed,
                            std::uintmax_t max_inflated) {
  std::string packed, why;
  if (!model_io::try_read_input_file(path, model_io::max_input_bytes, packed, why))
    throw std::invalid_argument(path + ": cannot open the file (expected " + what + "): " + why);
  if (!gzip_magic(packed, 0)) {
    if (plain_allowed) return packed;
    throw std::invalid_argument(path + ": not a gzip file (expected " + what + ")");
  }
  inflater inf;
  // 16 + MAX_WBITS: gzip framing only, with its CRC and length checked.
  if (inflateInit2(&inf.z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error(path + ": zlib could not start inflating");
  inf.open = true;
  std::string out;
  unsigned char buffer[1 << 16];
  inf.z.next_in = reinterpret_cast<Bytef*>(packed.data());
  inf.z.avail_in = static_cast<uInt>(packed.size());
  for (;;) {
    inf.z.next_out = buffer;
    inf.z.avail_out = sizeof buffer;
    const int rc = inflate(&inf.z, Z_NO_FLUSH);
    const std::size_t got = sizeof buffer - inf.z.avail_out;
    if (out.size() + got > max_inflated)
      throw std::invalid_argument(path + ": inflates to more than " + std::to_string(max_inflated >> 20) +
                                  " MiB, the limit of this data file (expected " + what + ")");
    out.append(reinterpret_cast<const char*>(buffer), got);
    if (rc == Z_STREAM_END) {
      const std::size_t at = packed.size() - inf.z.avail_in;  // where the next member would start
      if (at == packed.size()) break;
      // Another member (gzip concatenates them), or zero bytes padding the
      // file (a tape or a block device's, which gzip -d ignores too);
      // anything else is not gzip data.
      if (packed.find_first_not_of('\0', at) == std::string::npos) break;
      if (!gzip_magic(packed, at))
        throw std::invalid_argument(path + ": " + std::to_string(packed.size() - at) +
                                    " bytes after the end of the gzip data (expected " + what + ")");
      inflateReset(&inf.z);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && inf.z.avail_in == 0)
      throw std::invalid_argument(path + ": gzip data truncated or corrupted (the stream ends before its end marker)");
    throw std::invalid_argument(path + ": gzip data truncated or corrupted (" + std::string(inf.z.msg ? inf.z.msg : zError(rc)) + ")");
  }
  return out;
}

}  // namespace ionrail::circuits
