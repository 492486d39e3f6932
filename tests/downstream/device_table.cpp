// The README's library example ("Install and use as a library"), word for
// word: built against the installed package by tests/downstream/check.sh.
#include <cstdio>
#include <vector>
#include <ionrail/model/model.hpp>
#include <ionrail/model_io/table_files.hpp>

int main(int argc, char** argv) {
  namespace m = ionrail::model;
  const char* dir = argc > 1 ? argv[1] : "/opt/ionrail/share/ionrail/tables/polymer";
  const m::table table = ionrail::model_io::load_table(dir);  // checks version, grid, checksum
  const double s_rest = ionrail::model_io::table_metadata(dir, "s_eq");
  m::device_batch devices = m::make_batch(64, /*seed=*/1, m::variation_params::from_si(0.05, 1e-6),
                                          m::q_state::from_double(s_rest), /*noise=*/true);
  const std::vector<std::int16_t> pulse(devices.size(), m::q_volt::from_double(4.0).raw());
  for (int k = 0; k < 100; ++k) m::step_batch(table.view(), devices, pulse.data());  // 100 steps at +4 V
  double g = 0;
  for (std::size_t i = 0; i < devices.size(); ++i) g += m::conductance(table.view(), devices.at(i)).to_double();
  std::printf("device_table: mean G after 100 steps at +4 V: %.3f uS\n", g / 64);
  return g > 0 ? 0 : 1;
}
