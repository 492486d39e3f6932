// libFuzzer target: response tables (model_io::load_table) in all three formats.
// One input is a whole table directory: its files in the order below,
// separated by lines "====" (tests/fuzz/corpus/table/ holds real tables packed
// so); a file the input does not reach is empty.
#include <cstddef>
#include <cstdint>
#include <string>

#include <ionrail/model_io/table_files.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ionrail;
  static const char* const names[] = {"table.json",      "table.csv",   "table.hex",       "table_noise.hex",
                                      "table_fluct.hex", "table_g.hex", "table_coeff.hex", "table.h"};
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string separator = "\n====\n";
  std::size_t at = 0;
  std::filesystem::create_directories(fuzz::scratch() / "t");
  for (const char* name : names) {
    const auto end = text.find(separator, at);
    const std::string part = at >= text.size() ? std::string() : text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    fuzz::put(std::string("t/") + name, part.data(), part.size());
    at = end == std::string::npos ? text.size() : end + separator.size();
  }
  const std::string dir = (fuzz::scratch() / "t").string();
  for (auto format : {model_io::table_format::csv, model_io::table_format::hex, model_io::table_format::header}) {
    try {
      const model::table t = model_io::load_table(dir, format);
      (void)t.check();
    } catch (const input_error&) {
    }
  }
  return 0;
}
