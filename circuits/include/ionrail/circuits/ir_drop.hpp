#pragma once
// Wire resistance in a crossbar read (IR drop). Word line r is driven at its
// left end by v_row[r]; bit line c flows into a virtual ground (the sense
// amplifier) at its bottom end. Between neighbouring cells each line has a
// wire segment of resistance wire_ohm, and one more segment joins the driver
// to the first cell and the last cell to the sense amplifier. Unknowns: the
// word-line node u(r, c) and the bit-line node w(r, c) at every cell; a device
// of conductance g(r, c) joins them. Kirchhoff's current law at every node
// gives a symmetric, diagonally dominant linear system.
#include <vector>

namespace ionrail::circuits {

struct ir_drop_problem {
  int rows = 0;
  int lines = 0;              // bit lines
  double wire_ohm = 0;        // > 0
  const double* v_row = nullptr;  // [rows] V
  const double* g = nullptr;      // [rows · lines] S, row-major
};

struct ir_drop_solution {
  std::vector<double> column_current_a;  // [lines], into the sense amplifiers
  int iterations = 0;
};

// Alternating line relaxation: every word line solved exactly (tridiagonal)
// given the bit lines, then every bit line given the word lines, until no
// node moves by more than tolerance · max |v_row|. Each sweep costs
// O(rows · lines); good wires (wire_ohm · g ≪ 1) converge in a few sweeps.
ir_drop_solution solve_ir_drop(const ir_drop_problem& p, double tolerance = 1e-12, int max_sweeps = 10000);

// Dense Gaussian elimination of the same system (O((2 rows lines)^3)): the
// reference for small arrays.
ir_drop_solution solve_ir_drop_direct(const ir_drop_problem& p);

}  // namespace ionrail::circuits
