#include <ionrail/circuits/tiled_layer.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <omp.h>

#include <ionrail/circuits/crossbar_learning.hpp>

namespace ionrail::circuits {

namespace {
int ceil_div(int a, int b) { return (a + b - 1) / b; }
}  // namespace

int tiled_layer::team() const { return threads_ > 0 ? threads_ : omp_get_max_threads(); }

tiled_layer::tiled_layer(const model::table& table, int rows, int cols, int tile_rows, int tile_cols,
                         const crossbar_params& p)
    : rows_(rows), cols_(cols), tile_rows_(tile_rows), tile_cols_(tile_cols) {
  if (rows <= 0 || cols <= 0 || tile_rows <= 0 || tile_cols <= 0)
    throw std::invalid_argument("tiled_layer: rows (" + std::to_string(rows) + "), cols (" + std::to_string(cols) +
                                "), tile_rows (" + std::to_string(tile_rows) + ") and tile_cols (" +
                                std::to_string(tile_cols) + ") must be > 0");
  down_ = ceil_div(rows, tile_rows);
  across_ = ceil_div(cols, tile_cols);
  exact_ = p.adc_bits == 0 && p.wire_ohm == 0;
  crossbar_params tp = p;
  if (tp.adc_full_scale_a == 0) {
    // A full tile's full scale (crossbar_array's default for tile_rows rows),
    // computed by a one-row array so the table is checked once, here.
    crossbar_params probe = p;
    probe.rows = 1;
    probe.cols = 1;
    const crossbar_array one(table, probe);
    tp.adc_full_scale_a = tile_rows * p.v_read_v * std::fabs(one.g_span_s()) / 4;
  }
  tiles_.reserve(static_cast<std::size_t>(down_) * static_cast<std::size_t>(across_));
  for (int i = 0; i < down_; ++i)
    for (int j = 0; j < across_; ++j) {
      tp.rows = std::min(tile_rows, rows - i * tile_rows);
      tp.cols = std::min(tile_cols, cols - j * tile_cols);
      tiles_.emplace_back(table, tp, device_placement{i * tile_rows, j * tile_cols, cols});
    }
}

void tiled_layer::forward(const double* x, int batch, double* out) const {
  if (batch < 0) throw std::invalid_argument("tiled_layer: batch " + std::to_string(batch) + " < 0");
  const std::size_t n = static_cast<std::size_t>(batch);
  const auto R = static_cast<std::size_t>(rows_), C = static_cast<std::size_t>(cols_);
  const int tiles = down_ * across_;
  scratch_.resize(static_cast<std::size_t>(tiles));
  // Each tile's partial sums for the whole batch, into its own buffer.
#pragma omp parallel for schedule(dynamic, 1) num_threads(team())
  for (int k = 0; k < tiles; ++k) {
    const int i = k / across_, j = k % across_;
    const crossbar_array& t = tile(i, j);
    scratch& s = scratch_[static_cast<std::size_t>(k)];
    const std::size_t tc = static_cast<std::size_t>(t.cols());
    const double* xt = x + static_cast<std::size_t>(i * tile_rows_);
    t.conductances_raw(s.g_raw);
    if (exact_) {
      s.exact.resize(n * tc);
      for (std::size_t b = 0; b < n; ++b) t.exact_read(s.g_raw, xt + b * R, s.exact.data() + b * tc);
    } else {
      s.g.resize(s.g_raw.size());
      for (std::size_t q = 0; q < s.g_raw.size(); ++q) s.g[q] = raw_to_siemens(s.g_raw[q]);
      s.part.resize(n * tc);
      for (std::size_t b = 0; b < n; ++b) t.read_with(s.g, xt + b * R, s.part.data() + b * tc);
    }
  }
  // Digital sums in tile order.
  if (exact_) {
    // Integer partial sums add exactly: one conversion per column, as the
    // untiled array's read() does.
    std::vector<exact_sum> total(n * C, 0);
    for (int k = 0; k < tiles; ++k) {
      const crossbar_array& t = tile(k / across_, k % across_);
      const std::size_t c0 = static_cast<std::size_t>((k % across_) * tile_cols_), tc = static_cast<std::size_t>(t.cols());
      const scratch& s = scratch_[static_cast<std::size_t>(k)];
      for (std::size_t b = 0; b < n; ++b)
        for (std::size_t c = 0; c < tc; ++c) total[b * C + c0 + c] += s.exact[b * tc + c];
    }
    const double unit = tiles_.front().exact_unit_a();
    for (std::size_t k = 0; k < n * C; ++k) out[k] = static_cast<double>(total[k]) * unit;
    return;
  }
  std::fill(out, out + n * C, 0.0);
  for (int k = 0; k < tiles; ++k) {
    const crossbar_array& t = tile(k / across_, k % across_);
    const std::size_t c0 = static_cast<std::size_t>((k % across_) * tile_cols_), tc = static_cast<std::size_t>(t.cols());
    const scratch& s = scratch_[static_cast<std::size_t>(k)];
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t c = 0; c < tc; ++c) out[b * C + c0 + c] += s.part[b * tc + c];
  }
}

std::vector<double> tiled_layer::program_tiles(const std::vector<std::vector<tile_write>>& writes, double v_write,
                                               int& most) {
  const int tiles = down_ * across_;
  if (writes.size() != static_cast<std::size_t>(tiles))
    throw std::invalid_argument("tiled_layer: program_tiles: " + std::to_string(writes.size()) + " write lists for " +
                                std::to_string(tiles) + " tiles");
  most = 0;
  for (int k = 0; k < tiles; ++k) {
    const crossbar_array& t = tiles_[static_cast<std::size_t>(k)];
    for (const tile_write& w : writes[static_cast<std::size_t>(k)])
      if (w.active.size() != static_cast<std::size_t>(t.rows()) || w.dir.size() != static_cast<std::size_t>(t.cols()))
        throw std::invalid_argument("tiled_layer: program_tiles: a write of tile " + std::to_string(k) + " has " +
                                    std::to_string(w.active.size()) + " rows and " + std::to_string(w.dir.size()) +
                                    " columns, the tile " + std::to_string(t.rows()) + " x " + std::to_string(t.cols()));
    most = std::max(most, static_cast<int>(writes[static_cast<std::size_t>(k)].size()));
  }
  std::vector<double> energy(static_cast<std::size_t>(tiles), 0.0);
  if (most == 0) return energy;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team())
  for (int k = 0; k < tiles; ++k) {
    crossbar_array& t = tiles_[static_cast<std::size_t>(k)];
    const auto& list = writes[static_cast<std::size_t>(k)];
    double e = 0;
    for (const tile_write& w : list) e += circuits::write_outer(t, w.active, w.dir, v_write);
    const int idle = most - static_cast<int>(list.size());
    if (idle > 0) t.relax(write_steps() * idle);
    energy[static_cast<std::size_t>(k)] = e;
  }
  return energy;
}

double tiled_layer::write_outer(const std::vector<int>& active, const std::vector<int>& dir, double v_write) {
  if (active.size() != static_cast<std::size_t>(rows_) || dir.size() != static_cast<std::size_t>(cols_))
    throw std::invalid_argument("tiled_layer: write_outer: " + std::to_string(active.size()) + " rows and " +
                                std::to_string(dir.size()) + " columns given for a layer of " + std::to_string(rows_) +
                                " x " + std::to_string(cols_));
  double e = 0;
  for (int i = 0; i < down_; ++i)
    for (int j = 0; j < across_; ++j) {
      crossbar_array& t = at(i, j);
      const auto r0 = active.begin() + i * tile_rows_;
      const auto c0 = dir.begin() + j * tile_cols_;
      e += circuits::write_outer(t, std::vector<int>(r0, r0 + t.rows()), std::vector<int>(c0, c0 + t.cols()), v_write);
    }
  return e;
}

int tiled_layer::write_steps() const { return circuits::write_outer_steps(tiles_.front()); }

void tiled_layer::relax(int steps) {
  const int tiles = static_cast<int>(tiles_.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(team())
  for (int k = 0; k < tiles; ++k) tiles_[static_cast<std::size_t>(k)].relax(steps);
}

std::vector<double> tiled_layer::conductances() const {
  std::vector<double> g(static_cast<std::size_t>(rows_) * static_cast<std::size_t>(2 * cols_));
  for (int i = 0; i < down_; ++i)
    for (int j = 0; j < across_; ++j) {
      const crossbar_array& t = tile(i, j);
      const std::vector<double> tg = t.conductances();
      for (int r = 0; r < t.rows(); ++r)
        std::copy_n(tg.begin() + static_cast<std::ptrdiff_t>(t.index(r, 0, false)), 2 * t.cols(),
                    g.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i * tile_rows_ + r) * (2 * static_cast<std::size_t>(cols_)) +
                                                            2 * static_cast<std::size_t>(j * tile_cols_)));
    }
  return g;
}

std::vector<double> tiled_layer::weights() const {
  const std::vector<double> g = conductances();
  std::vector<double> w(static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_));
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = g[2 * k] - g[2 * k + 1];
  return w;
}

array_activity tiled_layer::activity() const {
  array_activity sum;
  for (const auto& t : tiles_) sum += t.activity();
  return sum;
}

void tiled_layer::reset_activity() {
  for (auto& t : tiles_) t.reset_activity();
}

}  // namespace ionrail::circuits
