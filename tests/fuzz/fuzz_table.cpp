// libFuzzer target: response tables (app::load_table) in all three formats.
// One input is a whole table directory: its files in the order below,
// separated by lines "====" (tests/fuzz/corpus/table/ holds real tables packed
// so); a file the input does not reach is empty.
#include <cstddef>
#include <cstdint>
#include <string>

#include <ionrail/app/config.hpp>
#include <ionrail/app/table_io.hpp>

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
  for (auto format : {app::table_format::csv, app::table_format::hex, app::table_format::header}) {
    try {
      const model::table t = app::load_table(dir, format);
      (void)t.check();
    } catch (const app::config_error&) {
    }
  }
  return 0;
}
