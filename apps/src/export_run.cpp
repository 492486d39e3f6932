// `ionrail export`: see export_run.hpp.
#include <ionrail/app/export_run.hpp>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/circuit_export.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace ionrail::app {
using namespace ::ionrail::runs;  // the library these commands drive

std::string run_export(const export_options& o) {
  namespace mio = ionrail::model_io;
  if (o.target != "spice" && o.target != "verilog-a")
    throw input_error(fmt::format("export: target {} is not spice or verilog-a", o.target));
  const model::table table = mio::load_table_consistent(o.table_dir);
  mio::circuit_export_info info;
  info.table_name = o.table_dir;
  info.dt_m_s = mio::table_metadata(o.table_dir, "dt_m_s");  // each in its range (check_table_metadata)
  info.s_eq = mio::table_metadata(o.table_dir, "s_eq");
  const bool spice = o.target == "spice";
  const std::string text = spice ? mio::spice_library(table, info) : mio::verilog_a_module(table, info);
  const std::string name = spice ? "ionrail.lib" : "ionrail_mem.va";
  staged_dir dir(o.out_dir, o.force);
  mio::write_file_atomic(dir.path() / name, text);
  dir.commit();
  return (std::filesystem::path(o.out_dir) / name).string();
}

}  // namespace ionrail::app
