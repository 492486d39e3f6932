#pragma once
// The response table on disk: the contract between calibration (which writes
// it) and the compact model, SystemC, the RTL, the circuits and the
// benchmarks (which read it). One directory holds the same table in every
// format (docs/compact-model-format.md):
//   table.csv      one row per (state, voltage) bin, values and raw words (people, plots)
//   table.h        const int32 arrays and #defines (embedded C/C++)
//   table.hex, table_noise.hex, table_fluct.hex, table_g.hex, table_coeff.hex
//                  one 32-bit word per line ($readmemh, the RTL ROMs)
//   table.vh       Verilog `defines of the grid and checksum (the RTL)
//   table.json     metadata: format version, grid, checksum, ρ, and what the
//                  writer adds (calibration parameters, rules); written last,
//                  so a directory with table.json is complete.
// Loading any format reads regular files of at most 64 MiB only
// (input_file.hpp), checks table.json's format version and grid, every
// value's range and count (in table.csv every column, the decoded ones
// against the raw words and the grid), and the table's checksum against
// table.json, and refuses a bad file with ionrail::input_error naming the
// file (and line).
// Depends on ionrail::model and the standard library only.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ionrail/model/table.hpp>
#include <ionrail/model_io/input_error.hpp>

namespace ionrail::model_io {

enum class table_format { csv, header, hex };
const char* to_string(table_format f) noexcept;
// "csv", "header" (or "h"), "hex"; input_error otherwise.
table_format parse_table_format(const std::string& name);

// What a table directory records beside the fixed-point entries.
struct table_record {
  int state_variables = 2;          // 1: no fast fluctuation (δ = 0, ρ = 0)
  std::vector<long long> samples;   // transitions per (s, V) bin, s-major; empty: 0 in table.csv
  std::vector<int> visited;         // 1 where the bin was measured, 0 where filled; empty: all 1
  // Further members of table.json, in this order: {name, the value as JSON
  // text} (the writer checks the names are not the ones it writes itself).
  std::vector<std::pair<std::string, std::string>> json_members;
};

// Writes every format into DIR (created if needed), each file atomically,
// table.json last. input_error if the table fails model::table::check() or
// the record's sizes do not match its grid; std::runtime_error (naming the
// file) if a write fails.
void write_table(const std::string& dir, const model::table& table, const table_record& record = {});

// The table from one of its formats, after every check described above.
model::table load_table(const std::string& dir, table_format format = table_format::hex);

// The table as the commands take it: every format of DIR loaded (each
// after the checks above) and required to hold the same table, and the
// metadata the commands use in range (s_eq in [0, 1], dt_m_s in [1e-9, 1000] s,
// see check_table_metadata).
// A tampered or half-written directory is refused (input_error naming the
// file) whichever format the command reads: replay read table.csv and
// export the hex files, and each missed a change the other caught.
model::table load_table_consistent(const std::string& dir);

// A number recorded in DIR/table.json under KEY (the first member of that
// name, at any depth, e.g. "dt_m_s" in the calibration record); input_error
// if it is absent or not a finite number.
double table_metadata(const std::string& dir, const std::string& key);

// The numbers of table.json the commands use (dt_m_s, s_eq, device_rails,
// initial_variance, initial_slow_variance), and the check of one against its
// range: input_error naming WHERE, the key and the range. write_table
// applies it to its record, so no writer makes a table the commands refuse.
const std::vector<std::string>& table_metadata_keys();
void check_table_metadata(const std::string& key, double value, const std::string& where);

// A table built in code from physical values on GRID (s-major arrays of
// n_s · n_v entries in state units per model step for drift, noise and
// fluct; n_s conductances in siemens; ρ in [0, 1]), each value rounded to
// its fixed-point format (nearest, saturated). input_error if a size or a
// value is wrong (non-finite, negative noise/fluct/g, ρ outside [0, 1]).
model::table table_from_arrays(const model::table_grid& grid, const std::vector<double>& drift,
                               const std::vector<double>& noise, const std::vector<double>& fluct,
                               const std::vector<double>& g_siemens, double fluct_rho);

// `s` as a JSON string literal (quotes and escapes included).
std::string json_quote(const std::string& s);

}  // namespace ionrail::model_io
