#include <ionrail/circuits/ir_drop.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ionrail::circuits {
namespace {

void check(const ir_drop_problem& p) {
  if (p.rows <= 0 || p.lines <= 0 || !(p.wire_ohm > 0) || !p.v_row || !p.g)
    throw std::invalid_argument("ir_drop: needs rows, lines > 0, wire_ohm > 0 and the voltage and conductance arrays");
}

// Thomas algorithm: sub[i] x[i-1] + diag[i] x[i] + super[i] x[i+1] = rhs[i].
void tridiagonal(std::vector<double>& sub, std::vector<double>& diag, std::vector<double>& super,
                 std::vector<double>& rhs, double* x, int n, int stride) {
  for (int i = 1; i < n; ++i) {
    const double m = sub[i] / diag[i - 1];
    diag[i] -= m * super[i - 1];
    rhs[i] -= m * rhs[i - 1];
  }
  x[(n - 1) * stride] = rhs[n - 1] / diag[n - 1];
  for (int i = n - 2; i >= 0; --i) x[i * stride] = (rhs[i] - super[i] * x[(i + 1) * stride]) / diag[i];
}

}  // namespace

ir_drop_solution solve_ir_drop(const ir_drop_problem& p, double tolerance, int max_sweeps) {
  check(p);
  const int R = p.rows, L = p.lines;
  const double y = 1.0 / p.wire_ohm;
  const auto at = [L](int r, int c) { return static_cast<std::size_t>(r) * L + c; };
  double v_scale = 0;
  for (int r = 0; r < R; ++r) v_scale = std::max(v_scale, std::fabs(p.v_row[r]));
  std::vector<double> u(static_cast<std::size_t>(R) * L), w(u.size(), 0.0), prev;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < L; ++c) u[at(r, c)] = p.v_row[r];
  const int n = std::max(R, L);
  std::vector<double> sub(n), diag(n), super(n), rhs(n);
  ir_drop_solution out;
  for (int sweep = 1; sweep <= max_sweeps; ++sweep) {
    prev = u;
    prev.insert(prev.end(), w.begin(), w.end());
    for (int r = 0; r < R; ++r) {  // word line r: left link always (node or driver), right link but at the end
      for (int c = 0; c < L; ++c) {
        const double g = p.g[at(r, c)], right = c + 1 < L ? y : 0.0;
        sub[c] = c > 0 ? -y : 0.0;
        super[c] = -right;
        diag[c] = y + right + g;
        rhs[c] = g * w[at(r, c)] + (c == 0 ? y * p.v_row[r] : 0.0);
      }
      tridiagonal(sub, diag, super, rhs, &u[at(r, 0)], L, 1);
    }
    for (int c = 0; c < L; ++c) {  // bit line c: down link always (node or ground), up link but at the top
      for (int r = 0; r < R; ++r) {
        const double g = p.g[at(r, c)], up = r > 0 ? y : 0.0;
        sub[r] = -up;
        super[r] = r + 1 < R ? -y : 0.0;
        diag[r] = y + up + g;
        rhs[r] = g * u[at(r, c)];
      }
      tridiagonal(sub, diag, super, rhs, &w[at(0, c)], R, L);
    }
    double change = 0;
    for (std::size_t k = 0; k < u.size(); ++k)
      change = std::max({change, std::fabs(u[k] - prev[k]), std::fabs(w[k] - prev[u.size() + k])});
    out.iterations = sweep;
    if (change <= tolerance * v_scale) break;
  }
  out.column_current_a.resize(static_cast<std::size_t>(L));
  for (int c = 0; c < L; ++c) out.column_current_a[static_cast<std::size_t>(c)] = y * w[at(R - 1, c)];
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
