#pragma once
// `ionrail export spice|verilog-a TABLE_DIR --out DIR` (docs/spice.md): the
// calibrated device for circuit simulators, written through a staged
// directory (all files or none).
#include <string>

namespace ionrail::app {

struct export_options {
  std::string target;      // "spice" or "verilog-a"
  std::string table_dir;
  std::string out_dir = "out/export";
  bool force = false;
  bool quiet = false;
};

// Loads TABLE_DIR (hex format, every check: format version, grid, ranges,
// checksum) and its dt_m_s and s_eq from table.json; ionrail::input_error
// naming the file and key if anything is wrong, before DIR is touched.
// Writes DIR/ionrail.lib (spice) or DIR/ionrail_mem.va (verilog-a); returns
// the file written.
std::string run_export(const export_options& options);

}  // namespace ionrail::app
