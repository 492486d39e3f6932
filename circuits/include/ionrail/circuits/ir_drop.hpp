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

// Block line relaxation: every word line solved exactly (tridiagonal) given
// the bit lines, then every bit line given the word lines, over-relaxed
// (block SOR, ω from the measured Gauss–Seidel contraction; Young's optimum
// for this 2-cyclic system), until no node moves by more than tolerance ·
// max |v_row| in a sweep. The lines' tridiagonal factors depend only on g and
// wire_ohm and are computed once per call; each sweep then costs O(rows ·
// lines) in loops across lines (vectorised). A 128 × 256 tile at 1 Ω with
// 10–57 µS devices takes 9 sweeps to 1e-12 (about 1 ms, docs/performance.md).
// The fixed point is the exact solution of the network for any ω.
// Thread-safe: scratch buffers are thread_local, reused across calls.
ir_drop_solution solve_ir_drop(const ir_drop_problem& p, double tolerance = 1e-12, int max_sweeps = 10000);

// Dense Gaussian elimination of the same system (O((2 rows lines)^3)): the
// reference for small arrays.
ir_drop_solution solve_ir_drop_direct(const ir_drop_problem& p);

}  // namespace ionrail::circuits
