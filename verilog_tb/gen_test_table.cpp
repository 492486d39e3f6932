// Writes table directories for the tests of `tb_cell --model DIR`
// (verilog_tb/CMakeLists.txt), with model_io::write_table like
// `ionrail calibrate`:
//   gen_test_table same-grid DIR   the known-answer table "kat" with other
//                                  entries (G doubled, drift shifted): the grid
//                                  of the built model kat, a checksum none has
//   gen_test_table other-grid DIR  a grid no built model has (n_s 5, n_v 7)
#include <cstdio>
#include <exception>
#include <string>

#include <ionrail/kat/kat.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/table.hpp>

int main(int argc, char** argv) {
  using namespace ionrail;
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode != "same-grid" && mode != "other-grid") {
    std::fprintf(stderr, "usage: %s same-grid|other-grid DIR\n", argv[0]);
    return 2;
  }
  try {
    model::table t = kat::synthetic("kat").table;
    if (mode == "same-grid") {
      for (auto& g : t.g) g = model::q_cond::from_raw(g.raw() * 2);
      for (auto& d : t.drift) d = model::q_delta::from_raw(d.raw() + 12345);
    } else {
      t = model::make_table(
          model::table_grid::make(2, 12, 3), [](double s, double v) { return 0.1 * (0.5 + 0.25 * v - s); },
          [](double, double) { return 1e-4; }, [](double s) { return 1.0 + 99.0 * s; });
    }
    model_io::write_table(argv[2], t);
    std::printf("%s table in %s, checksum %s\n", mode.c_str(), argv[2], kat::checksum_hex(t).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gen_test_table: %s\n", e.what());
    return 1;
  }
}
