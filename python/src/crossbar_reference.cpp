// The C++ side of the Python crossbar tests (python/tests/test_torch.py,
// test_crossbar.py): a circuits::crossbar_array read with the C++ API alone.
//   ionrail_py_crossbar_reference TABLE_DIR ROWS COLS SEED WIRE_OHM NOISE OFFSET_SIGMA_S < inputs
// stdin: whitespace-separated inputs, ROWS per read; stdout: COLS currents
// (A, %.17g) per read.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/model_io/table_files.hpp>

int main(int argc, char** argv) {
  using namespace ionrail;
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s TABLE_DIR ROWS COLS SEED WIRE_OHM NOISE OFFSET_SIGMA_S < inputs\n", argv[0]);
    return 2;
  }
  const model::table t = model_io::load_table(argv[1]);
  circuits::crossbar_params p;
  p.rows = std::atoi(argv[2]);
  p.cols = std::atoi(argv[3]);
  p.seed = std::strtoull(argv[4], nullptr, 10);
  p.wire_ohm = std::strtod(argv[5], nullptr);
  p.noise = std::atoi(argv[6]) != 0;
  p.offset_sigma_s = std::strtod(argv[7], nullptr);
  const circuits::crossbar_array xb(t, p);
  std::vector<double> x(static_cast<std::size_t>(p.rows)), out(static_cast<std::size_t>(p.cols));
  for (;;) {
    for (double& v : x)
      if (std::scanf("%lf", &v) != 1) return 0;
    xb.read(x.data(), out.data());
    for (int c = 0; c < p.cols; ++c) std::printf("%.17g%c", out[static_cast<std::size_t>(c)], c + 1 < p.cols ? ' ' : '\n');
  }
}
