#pragma once
// A weight layer larger than one crossbar, split across tiles (docs/circuits.md,
// "Tiled layers"). The rows × cols weights are cut into tile_rows × tile_cols
// blocks (the last row and column of tiles hold the remainder); every tile is
// a crossbar_array of its own: its own DAC, ADC, wires (IR drop along its
// lines only) and devices. A forward pass drives each tile with its slice of
// the inputs and adds the tiles' ADC outputs of one global column digitally.
//
// Device seeds depend on the global (row, col) of a weight and the run seed,
// not on the tiling (device_placement): with ideal wires and an ideal ADC
// (adc_bits = 0) a tiled layer equals the untiled array bit for bit, its
// forward currents and, after the same writes, its conductances.
#include <cstdint>
#include <vector>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::circuits {

// One write_outer of one tile: its own active[tile rows] and dir[tile cols].
struct tile_write {
  std::vector<int> active, dir;
};

class tiled_layer {
 public:
  // `p` is every tile's configuration (DAC, ADC, wires, variation, noise,
  // seed); its rows and cols are ignored, the layer's are `rows` × `cols`. An
  // ADC full scale of 0 becomes that of a full tile, tile_rows · v_read ·
  // g_span / 4, on every tile: the edge tiles are the same hardware, partly
  // used. Throws std::invalid_argument on a size ≤ 0.
  tiled_layer(const model::table& table, int rows, int cols, int tile_rows, int tile_cols, const crossbar_params& p);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int tile_rows() const { return tile_rows_; }
  int tile_cols() const { return tile_cols_; }
  int tiles_down() const { return down_; }
  int tiles_across() const { return across_; }
  // Tile (i, j) holds rows [i · tile_rows, …) and columns [j · tile_cols, …).
  const crossbar_array& tile(int i, int j) const { return tiles_[static_cast<std::size_t>(i * across_ + j)]; }

  // out[b · cols + c]: column c's current (A) for input vector b of
  // x[b · rows + r] in [0, 1], the sum over the tiles of that column of
  // their ADC outputs (with an ideal ADC and ideal wires, of their exact
  // integer sums, converted once). The devices are read once per call, into
  // buffers the layer keeps: one layer is not forwarded from two threads at
  // once. The tiles are read in parallel (OpenMP; each tile into its own
  // buffers, added in tile order afterwards, so the bits do not depend on
  // the thread count).
  void forward(const double* x, int batch, double* out) const;

  // write_outer (crossbar_learning.hpp) on every tile with its slice of
  // active[rows] and dir[cols]: each tile programs its own cells with the
  // V/2 scheme (or its 1T1R write), rows and columns outside it are not
  // driven in it. Every tile takes the write's model steps (write_steps()),
  // so all devices age alike. Returns the energy of all tiles (J).
  double write_outer(const std::vector<int>& active, const std::vector<int>& dir, double v_write);
  void relax(int steps);
  // Model steps of one write: 2 (passive cells, V/2 scheme), 1 (1T1R).
  int write_steps() const;
  // The tiles writing in parallel, as their drivers would: tile k (= i ·
  // tiles_across + j) does writes[k] in order, then relaxes for the rest of
  // the busiest tile's writes, so every device of the layer sees the same
  // number of model steps (write_steps() per write). Tiles run on OpenMP threads; a tile's
  // devices are its own, so the bits do not depend on the thread count.
  // Returns each tile's write energy (J), in tile order, and in `most` the
  // busiest tile's number of writes.
  std::vector<double> program_tiles(const std::vector<std::vector<tile_write>>& writes, double v_write, int& most);

  // Device conductances (S) in the untiled array's index order
  // (crossbar_array::index over rows × cols), and G+ − G− row-major.
  std::vector<double> conductances() const;
  std::vector<double> weights() const;

  // The tiles' activity added up (array_activity): DAC conversions, read
  // power, driven cells and write energy are those of the untiled array (up
  // to rounding); ADC conversions and write steps count once per tile, as
  // each tile has its own ADCs and takes every write step.
  array_activity activity() const;
  void reset_activity();

  // Threads of the layer's parallel loops (forward, program_tiles, relax);
  // 0: OpenMP's default. The bits do not depend on it, so a driver may change
  // it between calls (train_mlp's thread governor).
  void set_threads(int threads) { threads_ = threads; }

 private:
  int team() const;
  crossbar_array& at(int i, int j) { return tiles_[static_cast<std::size_t>(i * across_ + j)]; }

  int rows_, cols_, tile_rows_, tile_cols_, down_ = 0, across_ = 0;
  int threads_ = 0;
  bool exact_ = false;  // ideal ADC and ideal wires: add exact integer sums
  std::vector<crossbar_array> tiles_;
  // forward's scratch per tile, kept between calls (see conductances_raw).
  struct scratch {
    std::vector<std::int64_t> g_raw;
    std::vector<double> g, part;
    std::vector<exact_sum> exact;
  };
  mutable std::vector<scratch> scratch_;
};

}  // namespace ionrail::circuits
