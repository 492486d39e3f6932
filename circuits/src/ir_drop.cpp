#include <ionrail/circuits/ir_drop.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace ionrail::circuits {
namespace {

void check(const ir_drop_problem& p) {
  if (p.rows <= 0 || p.lines <= 0 || !(p.wire_ohm > 0) || !p.v_row || !p.g)
    throw std::invalid_argument("ir_drop: needs rows, lines > 0, wire_ohm > 0 and the voltage and conductance arrays");
}

// Per-thread scratch, reused by the thread's later solves: crossbar reads
// solve the same tile size over and over, from several OpenMP threads at
// once (tiled_layer.cpp), so each thread keeps its own buffers and a solve
// allocates only its result.
//
// Layout: every line recurrence is serial along its line, so each family is
// stored with its lines side by side — bit-line quantities row-major
// [r · lines + c], word-line quantities column-major [c · rows + r] — and the
// inner loops run across lines, contiguous and vectorised. Each half-sweep
// moves g ⊙ the other family's voltages into its layout in one tiled pass.
struct ir_drop_scratch {
  std::vector<double> g_t;          // g, column-major
  std::vector<double> u_t;          // word-line node voltages, column-major
  std::vector<double> w;            // bit-line node voltages, row-major
  std::vector<double> rhs;          // g ⊙ the other family's voltages, in the layout of the lines solved
  std::vector<double> word_inv;     // 1 / pivot of the word lines' LU factorisation, column-major
  std::vector<double> bit_inv;      // of the bit lines', row-major
  std::vector<double> z;            // forward substitution, then the exact line solution
  std::vector<double> word_change;  // [rows] max |Δu| per word line
  std::vector<double> bit_change;   // [lines] max |Δw| per bit line
};

// dst[c · rows + r] = a[r · cols + c] · b[r · cols + c]: the device
// currents' source term of one family, moved into the other's layout, in
// tiles that stay in L1.
void transpose_product(const double* a, const double* b, int rows, int cols, double* dst) {
  constexpr int tile = 16;
  for (int r0 = 0; r0 < rows; r0 += tile)
    for (int c0 = 0; c0 < cols; c0 += tile) {
      const int r1 = std::min(rows, r0 + tile), c1 = std::min(cols, c0 + tile);
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c) {
          const std::size_t k = static_cast<std::size_t>(r) * cols + c;
          dst[static_cast<std::size_t>(c) * rows + r] = a[k] * b[k];
        }
    }
}

// The line families couple only through the devices, so each line's own
// matrix (wire links, g on the diagonal) depends on g and wire_ohm alone:
// factor it once per solve; only the right-hand sides change between sweeps.
// Each is tridiagonal with −y off the diagonal; with pivots d_0 = b_0,
// d_i = b_i − y² / d_(i−1), it is solved by z_i = (rhs_i + y z_(i−1)) / d_i,
// x_i = z_i + (y / d_i) x_(i+1). Diagonal dominance keeps every pivot
// ≥ g + y·(links − 1) > 0, so no pivoting is needed.
void factor_lines(int R, int L, double y, ir_drop_scratch& s, const double* g) {
  const double* g_t = s.g_t.data();
  for (int c = 0; c < L; ++c) {  // word lines: driver link always, right link but at the end
    const double b = y + (c + 1 < L ? y : 0.0);
    double* inv = s.word_inv.data() + static_cast<std::size_t>(c) * R;
    const double* gc = g_t + static_cast<std::size_t>(c) * R;
    if (c == 0)
      for (int r = 0; r < R; ++r) inv[r] = 1.0 / (b + gc[r]);
    else
      for (int r = 0; r < R; ++r) inv[r] = 1.0 / (b + gc[r] - y * y * inv[r - R]);
  }
  for (int r = 0; r < R; ++r) {  // bit lines: ground link always, up link but at the top (r = 0)
    const double b = y + (r > 0 ? y : 0.0);
    double* inv = s.bit_inv.data() + static_cast<std::size_t>(r) * L;
    const double* gr = g + static_cast<std::size_t>(r) * L;
    if (r == 0)
      for (int c = 0; c < L; ++c) inv[c] = 1.0 / (b + gr[c]);
    else
      for (int c = 0; c < L; ++c) inv[c] = 1.0 / (b + gr[c] - y * y * inv[c - L]);
  }
}

// One family of lines, side by side (n lines, m nodes each, node i of line j
// at [i · n + j]): the exact solve given the other family's voltages (rhs =
// g ⊙ other, same layout; drive: the source term of node 0, or null),
// relaxed by omega into x; change[j] = max |Δx| along line j.
void solve_lines(int n, int m, double y, double omega, const double* rhs, const double* drive, const double* inv,
                 double* z, double* x, double* change) {
  for (int j = 0; j < n; ++j) z[j] = (rhs[j] + (drive ? y * drive[j] : 0.0)) * inv[j];
  for (int i = 1; i < m; ++i) {
    const std::size_t k0 = static_cast<std::size_t>(i) * n;
    for (int j = 0; j < n; ++j) z[k0 + j] = (rhs[k0 + j] + y * z[k0 + j - n]) * inv[k0 + j];
  }
  const std::size_t last = static_cast<std::size_t>(m - 1) * n;
  for (int j = 0; j < n; ++j) {
    const double d = omega * (z[last + j] - x[last + j]);
    x[last + j] += d;
    change[j] = std::fabs(d);
  }
  for (int i = m - 2; i >= 0; --i) {
    const std::size_t k0 = static_cast<std::size_t>(i) * n;
    for (int j = 0; j < n; ++j) {
      const std::size_t k = k0 + j;
      // The exact line solution (not the relaxed one) feeds the back substitution.
      z[k] += y * inv[k] * z[k + n];
      const double d = omega * (z[k] - x[k]);
      x[k] += d;
      change[j] = std::max(change[j], std::fabs(d));
    }
  }
}

}  // namespace

ir_drop_solution solve_ir_drop(const ir_drop_problem& p, double tolerance, int max_sweeps) {
  check(p);
  const int R = p.rows, L = p.lines;
  const std::size_t n = static_cast<std::size_t>(R) * L;
  const double y = 1.0 / p.wire_ohm;
  double v_scale = 0;
  for (int r = 0; r < R; ++r) v_scale = std::max(v_scale, std::fabs(p.v_row[r]));
  ir_drop_solution out;
  out.column_current_a.assign(static_cast<std::size_t>(L), 0.0);
  if (v_scale == 0) return out;  // no drive: every node at 0 V, exactly

  thread_local ir_drop_scratch s;
  for (auto* v : {&s.g_t, &s.u_t, &s.w, &s.rhs, &s.word_inv, &s.bit_inv, &s.z}) v->resize(n);
  s.word_change.resize(static_cast<std::size_t>(R));
  s.bit_change.resize(static_cast<std::size_t>(L));
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < L; ++c)
      s.g_t[static_cast<std::size_t>(c) * R + r] = p.g[static_cast<std::size_t>(r) * L + c];
  factor_lines(R, L, y, s, p.g);
  // Start from the ideal-wire solution: word lines at their drive, bit lines
  // at the virtual ground.
  for (int c = 0; c < L; ++c) std::copy_n(p.v_row, R, s.u_t.data() + static_cast<std::size_t>(c) * R);
  std::fill(s.w.begin(), s.w.end(), 0.0);

  // Block SOR over the two line families. Word lines couple only to bit
  // lines and back (a 2-cyclic system), so Young's theory holds: with ρ the
  // block Gauss–Seidel (ω = 1) contraction per sweep, ω = 2 / (1 + √(1 − ρ))
  // contracts by ω − 1 instead. ρ is measured from the changes of the first
  // Gauss–Seidel sweeps. Any ω in (0, 2) has the same fixed point, the exact
  // solution of the network, so ω changes only the number of sweeps.
  constexpr int gs_sweeps = 3;  // sweeps at ω = 1 before ρ is first estimated
  constexpr double rho_max = 0.99;  // keeps ω ≤ 1.82
  double omega = 1.0, prev_change = 0;
  bool omega_set = false;
  for (int sweep = 1; sweep <= max_sweeps; ++sweep) {
    transpose_product(p.g, s.w.data(), R, L, s.rhs.data());
    solve_lines(R, L, y, omega, s.rhs.data(), p.v_row, s.word_inv.data(), s.z.data(), s.u_t.data(),
                s.word_change.data());
    transpose_product(s.g_t.data(), s.u_t.data(), L, R, s.rhs.data());
    solve_lines(L, R, y, omega, s.rhs.data(), nullptr, s.bit_inv.data(), s.z.data(), s.w.data(), s.bit_change.data());
    double change = 0;
    for (double d : s.word_change) change = std::max(change, d);
    for (double d : s.bit_change) change = std::max(change, d);
    out.iterations = sweep;
    if (change <= tolerance * v_scale) break;
    // A ratio ≥ 1 is not yet the asymptotic contraction (Gauss–Seidel on this
    // symmetric positive definite system converges, but not monotonically in
    // the max norm): keep ω = 1 and measure again after the next sweep.
    if (!omega_set && sweep >= gs_sweeps && prev_change > 0 && change < prev_change) {
      const double rho = std::min(change / prev_change, rho_max);
      omega = 2.0 / (1.0 + std::sqrt(1.0 - rho));
      omega_set = true;
    }
    prev_change = change;
  }
  for (int c = 0; c < L; ++c)
    out.column_current_a[static_cast<std::size_t>(c)] = y * s.w[static_cast<std::size_t>(R - 1) * L + c];
  return out;
}

ir_drop_solution solve_ir_drop_direct(const ir_drop_problem& p) {
  check(p);
  const int R = p.rows, L = p.lines, N = 2 * R * L;
  if (N > 4096) throw std::invalid_argument("ir_drop: the direct solve is for small arrays (2 rows lines <= 4096)");
  const double y = 1.0 / p.wire_ohm;
  const auto U = [L](int r, int c) { return r * L + c; };
  const auto W = [R, L](int r, int c) { return R * L + r * L + c; };
  std::vector<double> a(static_cast<std::size_t>(N) * N, 0.0), b(static_cast<std::size_t>(N), 0.0);
  const auto A = [&](int i, int j) -> double& { return a[static_cast<std::size_t>(i) * N + j]; };
  const auto link = [&](int i, int j, double g) {  // conductance g between unknowns i and j
    A(i, i) += g, A(j, j) += g, A(i, j) -= g, A(j, i) -= g;
  };
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < L; ++c) {
      link(U(r, c), W(r, c), p.g[static_cast<std::size_t>(r) * L + c]);
      if (c + 1 < L) link(U(r, c), U(r, c + 1), y);
      if (r + 1 < R) link(W(r, c), W(r + 1, c), y);
    }
  for (int r = 0; r < R; ++r) A(U(r, 0), U(r, 0)) += y, b[static_cast<std::size_t>(U(r, 0))] += y * p.v_row[r];
  for (int c = 0; c < L; ++c) A(W(R - 1, c), W(R - 1, c)) += y;  // to the virtual ground
  for (int k = 0; k < N; ++k) {  // elimination with partial pivoting
    int piv = k;
    for (int i = k + 1; i < N; ++i)
      if (std::fabs(A(i, k)) > std::fabs(A(piv, k))) piv = i;
    if (piv != k) {
      for (int j = 0; j < N; ++j) std::swap(A(k, j), A(piv, j));
      std::swap(b[static_cast<std::size_t>(k)], b[static_cast<std::size_t>(piv)]);
    }
    for (int i = k + 1; i < N; ++i) {
      const double m = A(i, k) / A(k, k);
      if (m == 0) continue;
      for (int j = k; j < N; ++j) A(i, j) -= m * A(k, j);
      b[static_cast<std::size_t>(i)] -= m * b[static_cast<std::size_t>(k)];
    }
  }
  std::vector<double> x(static_cast<std::size_t>(N));
  for (int i = N - 1; i >= 0; --i) {
    double s = b[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < N; ++j) s -= A(i, j) * x[static_cast<std::size_t>(j)];
    x[static_cast<std::size_t>(i)] = s / A(i, i);
  }
  ir_drop_solution out;
  out.column_current_a.resize(static_cast<std::size_t>(L));
  for (int c = 0; c < L; ++c) out.column_current_a[static_cast<std::size_t>(c)] = y * x[static_cast<std::size_t>(W(R - 1, c))];
  return out;
}

}  // namespace ionrail::circuits
