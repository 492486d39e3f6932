// libFuzzer target: known-answer vector files (kat::read_lines, which checks
// every record before a replayer converts a field: tests/kat/README.md).
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include <ionrail/kat/kat.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ionrail;
  const std::string file = fuzz::put("v.kat", reinterpret_cast<const char*>(data), size);
  try {
    const auto lines = kat::read_lines(file);
    // What a replayer then does with every field: none may fail now.
    for (const auto& w : lines)
      for (std::size_t k = 1; k < w.size(); ++k)
        if (w[0] != "table") (void)kat::num(w, k);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
