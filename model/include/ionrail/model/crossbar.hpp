#pragma once
// Golden model of a crossbar of compact-model devices (docs/rtl.md §3): the
// reference that the RTL crossbar (verilog_tb/rtl/ionrail_crossbar.sv), and
// later the SystemC and circuit models, must match bit for bit.
//
// Devices sit at the crossings of `rows` row lines and `cols` column lines,
// stored row-major (cells[r · cols + c]).
//
// Write (one model step of the array): row line r is driven to V_row[r],
// column line c to V_col[c]; device (r, c) sees
//   V = saturate<int16>(V_row[r] − V_col[c])          (q_volt, no rounding)
// and takes one step() at V if V != 0 or relaxation is on (an idle device
// with relaxation off keeps its state and its generator). The V/2 scheme is
// one choice of drive voltages (half_select below).
//
// Read: rows driven to V_row[r], columns held at virtual ground (0 V) by
// the sense amplifiers; column c collects
//   I_col[c] = Σ_r read_current(device (r, c), V_row[r])   (q_current raw, int64)
// summed exactly, without saturation: |I| ≤ (2^31 − 1) · 2^15 < 2^46 LSB per
// device, so any column of at most max_rows = 2^17 devices fits int64.
// A read does not change any device.
//
// Integers only; the per-column functions let a sequential implementation
// (one column per clock) be compared with the golden model cycle by cycle.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ionrail/hd.hpp"
#include "ionrail/model/device.hpp"
#include "ionrail/model/fixed.hpp"
#include "ionrail/model/formats.hpp"
#include "ionrail/model/step.hpp"
#include "ionrail/model/table_view.hpp"

namespace ionrail::model {

// Largest number of rows whose exact column sum fits q_current.
inline constexpr int crossbar_max_rows = 1 << 17;
static_assert(q_cond::bits - 1 + q_volt::bits - 1 + 17 <= 63,
              "max_rows devices of |G_raw · V_raw| < 2^46 sum within int64");

// Voltage across device (r, c) during a write.
IONRAIL_HD constexpr q_volt cell_voltage(q_volt v_row, q_volt v_col) noexcept {
  return q_volt::from_raw(saturate<std::int16_t>(std::int64_t{v_row.raw()} - v_col.raw()));
}

// Whether a device takes a step at voltage v.
IONRAIL_HD constexpr bool cell_steps(q_volt v, bool relax) noexcept { return v.raw() != 0 || relax; }

// Steps the devices of columns [col_begin, col_end) (a sequential
// implementation's one clock; all columns = one write of the whole array).
IONRAIL_HD inline void crossbar_write_cols(const table_view& t, device* cells, int rows, int cols, const q_volt* v_row,
                                           const q_volt* v_col, bool relax, int col_begin, int col_end) noexcept {
  for (int r = 0; r < rows; ++r)
    for (int c = col_begin; c < col_end; ++c) {
      const q_volt v = cell_voltage(v_row[r], v_col[c]);
      if (cell_steps(v, relax)) step(t, cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + c], v);
    }
}

// Column currents of columns [col_begin, col_end) into i_col[col_begin ..].
IONRAIL_HD inline void crossbar_read_cols(const table_view& t, const device* cells, int rows, int cols,
                                          const q_volt* v_row, q_current* i_col, int col_begin, int col_end) noexcept {
  for (int c = col_begin; c < col_end; ++c) {
    std::int64_t sum = 0;
    for (int r = 0; r < rows; ++r)
      sum += read_current(t, cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + c], v_row[r]).raw();
    i_col[c] = q_current::from_raw(sum);
  }
}

IONRAIL_HD inline void crossbar_write(const table_view& t, device* cells, int rows, int cols, const q_volt* v_row,
                                      const q_volt* v_col, bool relax) noexcept {
  crossbar_write_cols(t, cells, rows, cols, v_row, v_col, relax, 0, cols);
}
IONRAIL_HD inline void crossbar_read(const table_view& t, const device* cells, int rows, int cols, const q_volt* v_row,
                                     q_current* i_col) noexcept {
  crossbar_read_cols(t, cells, rows, cols, v_row, i_col, 0, cols);
}

// V/2 scheme: drive voltages that put exactly v across device (sel_row,
// sel_col) and at most ⌈|v|/2⌉ across the half-selected devices of its row
// and column (0 V elsewhere). Row sel_row gets h = v >> 1 (arithmetic), column
// sel_col gets h − v, so V_row − V_col = v exactly with no saturation for any
// int16 v. v_row and v_col have rows and cols entries.
IONRAIL_HD inline void half_select(int rows, int cols, int sel_row, int sel_col, q_volt v, q_volt* v_row,
                                   q_volt* v_col) noexcept {
  const std::int32_t h = v.raw() >> 1;
  for (int r = 0; r < rows; ++r) v_row[r] = q_volt::zero();
  for (int c = 0; c < cols; ++c) v_col[c] = q_volt::zero();
  v_row[sel_row] = q_volt::from_raw(static_cast<std::int16_t>(h));
  v_col[sel_col] = q_volt::from_raw(static_cast<std::int16_t>(h - v.raw()));
}

// Host-side owner of an array of devices (setup, tests, benches).
class crossbar {
 public:
  crossbar(int rows, int cols)
      : rows_(rows), cols_(cols), cells_(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), device{}) {}
  // Devices drawn with make_device(device_seed(seed, r · cols + c), var, initial, noise).
  crossbar(int rows, int cols, std::uint64_t seed, variation_params var, q_state initial = q_state::zero(),
           bool noise = true)
      : crossbar(rows, cols) {
    for (std::size_t k = 0; k < cells_.size(); ++k) cells_[k] = make_device(device_seed(seed, k), var, initial, noise);
  }

  int rows() const noexcept { return rows_; }
  int cols() const noexcept { return cols_; }
  device& at(int r, int c) noexcept { return cells_[index(r, c)]; }
  const device& at(int r, int c) const noexcept { return cells_[index(r, c)]; }
  device* data() noexcept { return cells_.data(); }
  const device* data() const noexcept { return cells_.data(); }

  // v_row: rows() entries, v_col: cols() entries, i_col: cols() entries.
  void write(const table_view& t, const q_volt* v_row, const q_volt* v_col, bool relax) noexcept {
    crossbar_write(t, cells_.data(), rows_, cols_, v_row, v_col, relax);
  }
  void write_cols(const table_view& t, const q_volt* v_row, const q_volt* v_col, bool relax, int col_begin,
                  int col_end) noexcept {
    crossbar_write_cols(t, cells_.data(), rows_, cols_, v_row, v_col, relax, col_begin, col_end);
  }
  void read(const table_view& t, const q_volt* v_row, q_current* i_col) const noexcept {
    crossbar_read(t, cells_.data(), rows_, cols_, v_row, i_col);
  }
  void read_cols(const table_view& t, const q_volt* v_row, q_current* i_col, int col_begin, int col_end) const noexcept {
    crossbar_read_cols(t, cells_.data(), rows_, cols_, v_row, i_col, col_begin, col_end);
  }
  std::vector<q_current> read(const table_view& t, const std::vector<q_volt>& v_row) const {
    std::vector<q_current> i_col(static_cast<std::size_t>(cols_), q_current::zero());
    read(t, v_row.data(), i_col.data());
    return i_col;
  }

 private:
  std::size_t index(int r, int c) const noexcept {
    return static_cast<std::size_t>(r) * static_cast<std::size_t>(cols_) + static_cast<std::size_t>(c);
  }
  int rows_;
  int cols_;
  std::vector<device> cells_;
};

}  // namespace ionrail::model
