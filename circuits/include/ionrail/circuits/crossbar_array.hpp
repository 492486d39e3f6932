#pragma once
// A crossbar of compact-model devices (docs/circuits.md): ROWS input lines
// (word lines) and, per weight column, two bit lines carrying the devices
// G+ and G− of a differential pair, so a weight is G+ − G−.
//
// Read: each input x in [0, 1] goes through a DAC (dac_bits, V = level ·
// v_read), the bit-line currents are summed by Kirchhoff (ideal wires) or
// solved as a resistive network (wire_ohm > 0, ir_drop.hpp), and each
// differential current I+ − I− goes through a signed ADC (adc_bits, full
// scale ±adc_full_scale_a; adc_bits = 0: an ideal ADC, no quantisation and
// no clipping). A read is short compared with the model step, so it does not
// move the devices.
//
// Write: voltages on every word line and bit line for one model step dt_m;
// every device sees V_row − V_col and is stepped through its dynamics (the
// table's drift, noise and fluctuation), the unselected ones included: with
// the V/2 scheme a selected cell sees ±V_write and half-selected cells
// ±V_write/2 (disturb), every other cell 0 V (relaxation). Weights are never
// written directly.
#include <cstdint>
#include <string>
#include <vector>

#include <ionrail/model/batch.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::circuits {

// Effective conductance (S) of every device of a batch: the model's read
// current at exactly 1 V is G in µA (q_current), so this is the model's own
// read-out, bit for bit.
std::vector<double> device_conductances_s(const model::table_view& table, const model::device_batch& devices);

// What devices start from, in the ranges their fixed-point conversions hold
// (NaN or a state of 2 was saturated silently): initial_state and gain_sigma
// in [0, 1], offset_sigma_s in [0, 1e-3] S; std::invalid_argument
// "PREFIXinitial_state X is outside [0, 1]" otherwise. The crossbar's and
// Python's DeviceBatch's one check.
void check_device_start(double initial_state, double gain_sigma, double offset_sigma_s, const std::string& prefix);
// Devices restored from outside (a pickle, a checkpoint): std::invalid_argument
// "WHO: NAME[i] is X; expected LO to HI" unless every array holds N values
// that a device can have (a state in [0, 1], a fluctuation within +-1, a
// gain >= 0, a generator state other than 0, a noise flag of 0 or 1).
void check_device_batch(const model::device_batch& devices, std::size_t n, const std::string& who);
// One device's conductance (S) from its q_current raw read at 1 V: the
// conversion device_conductances_s applies, for callers that keep the raw values.
inline double raw_to_siemens(std::int64_t raw) {
  return static_cast<double>(raw) * model::q_current::lsb * model::current_unit_ampere;
}

// What isolates a cell from its lines. passive: a bare cross-point, so a
// write reaches the whole lines (the V/2 scheme: half-selected cells see
// ±V_write/2 and drift a little, the disturb). transistor (1T1R): each cell
// has an access transistor whose gate is its row's word line; a write opens
// the selected rows' gates and drives the bit lines, so only the selected
// cells see a voltage and every other cell sits at 0 V (it relaxes). Reads
// open every gate and are the same for both.
enum class cell_selector { passive, transistor };

struct crossbar_params {
  int rows = 0;                    // input lines
  int cols = 0;                    // weights per input line (two bit lines each)
  int dac_bits = 8;                // input resolution
  int adc_bits = 8;                // output resolution (signed); 0: ideal ADC (exact, unclipped)
  double v_read_v = 0.2;           // read voltage of a full-scale input
  double adc_full_scale_a = 0;     // ±full scale of the ADC; 0: rows · v_read · g_span / 4
  double wire_ohm = 0;             // wire resistance per cell pitch, word and bit lines (0: ideal)
  cell_selector selector = cell_selector::passive;  // bare cross-point or 1T1R (writes only)
  double gain_sigma = 0;           // device-to-device spread of the drift gain (relative)
  double offset_sigma_s = 0;       // device-to-device spread of the G offset (S)
  bool noise = true;               // cycle-to-cycle noise and fluctuation of the devices
  double dt_m_s = 0.05;            // the table's model step (for energy and elapsed time)
  double initial_state = 0.25;     // slow state every device starts from (the table's rest state)
  std::uint64_t seed = 1;          // run seed: the devices come from its `devices` stream (streams.hpp)
};

// Where an array's devices sit in a larger weight matrix (tiled_layer.hpp):
// the device of local weight (r, c) takes the seed of global weight
// (row0 + r, col0 + c) of a matrix global_cols weights wide, so a tile's
// devices (variation, noise streams) are those the untiled array would have.
// The default, {0, 0, 0} (global_cols 0: the array's own cols), is the array
// on its own.
struct device_placement {
  int row0 = 0;
  int col0 = 0;
  int global_cols = 0;
};

// What an array did, for the hardware cost model (hardware_cost.hpp): kept
// by every crossbar_array as it reads and writes, never read back by the
// array itself, so results do not depend on it. Counts add across tiles
// (tiled_layer::activity) and across runs (+=).
struct array_activity {
  long long reads = 0;            // input vectors read (read, read_with, exact_read)
  long long dac_conversions = 0;  // rows driven at a non-zero level, summed over reads (a row at 0 V draws no charge)
  long long adc_conversions = 0;  // differential column outputs digitised: cols per read
  // Σ over reads of Σ_r V_r² Σ_c (G+ + G−) (W), with V_r the DAC's output
  // and the ideal wires' cell voltage (with wire_ohm > 0, the driven
  // voltage: an upper bound); × the read's integration time it is the
  // energy the devices dissipate in reads.
  double read_power_w = 0;
  double row_v2 = 0;              // Σ over reads of Σ_r V_r² (V²): × a word line's capacitance, its charge energy
  long long write_steps = 0;      // model steps with write voltages (pulse)
  long long cells_driven = 0;     // devices that saw a non-zero voltage, summed over write steps
  double write_energy_j = 0;      // Σ G V² dt_m over the write steps: the model's ∫IV
  long long relax_steps = 0;      // model steps at 0 V
  array_activity& operator+=(const array_activity& o) {
    reads += o.reads, dac_conversions += o.dac_conversions, adc_conversions += o.adc_conversions;
    read_power_w += o.read_power_w, row_v2 += o.row_v2, write_steps += o.write_steps, cells_driven += o.cells_driven;
    write_energy_j += o.write_energy_j, relax_steps += o.relax_steps;
    return *this;
  }
};

// The exact ideal-ADC read-out (adc_bits = 0, wire_ohm = 0): per column,
// Σ_r (raw G+ − raw G−) · DAC level, in units of the q_current LSB × v_read /
// (2^dac_bits − 1). Integers add exactly, so tiles' partial sums combine
// without rounding (GCC/Clang's 128-bit integer: 2^38 × 2^16 × 2^24 rows
// would overflow 64 bits).
__extension__ typedef __int128 exact_sum;

class crossbar_array {
 public:
  crossbar_array(const model::table& table, const crossbar_params& p);
  // The same array with its devices seeded as `at` places them; throws
  // std::invalid_argument if the array does not fit inside the global matrix.
  crossbar_array(const model::table& table, const crossbar_params& p, const device_placement& at);

  int rows() const { return p_.rows; }
  int cols() const { return p_.cols; }
  const crossbar_params& params() const { return p_; }
  // Device index of the G+ (minus = false) or G− device of weight (r, c).
  std::size_t index(int r, int c, bool minus) const {
    return static_cast<std::size_t>(r) * static_cast<std::size_t>(2 * p_.cols) + static_cast<std::size_t>(2 * c) +
           (minus ? 1u : 0u);
  }

  // Effective conductance of every device (S), in index order.
  std::vector<double> conductances() const;
  // G+ − G− of every weight (S), row-major.
  std::vector<double> weights() const;

  // Quantised differential column currents (A) for inputs x[rows] in [0, 1].
  // With an ideal ADC and ideal wires: exact_read(...) · exact_unit_a().
  void read(const double* x, double* out) const;
  // The exact integer column sums of an ideal-ADC read (see exact_sum) with
  // the devices' q_current raw conductances g_raw (conductances_raw()).
  void exact_read(const std::vector<std::int64_t>& g_raw, const double* x, exact_sum* out) const;
  // The current of one unit of exact_read (A).
  double exact_unit_a() const;
  // Each device's read current at 1 V, q_current raw (conductances() is this × LSB).
  std::vector<std::int64_t> conductances_raw() const;
  // The same into `out` (resized): a caller reading every call (tiled_layer)
  // reuses its buffer; fresh large buffers cost more in page faults than the
  // read itself.
  void conductances_raw(std::vector<std::int64_t>& out) const;
  // The same without DAC/ADC quantisation and with ideal wires (analysis).
  void read_exact(const double* x, double* out) const;
  // read() with the given device conductances g (index order, S) instead of
  // the devices' own: the same DAC, wires and ADC (an ideal-device twin).
  void read_with(const std::vector<double>& g, const double* x, double* out) const;

  // One model step with row_v[rows] on the word lines and col_plus_v[cols],
  // col_minus_v[cols] on the bit lines. Returns the energy the pulse
  // dissipates in the devices, Σ G V² dt_m (J). With row_gate (1T1R arrays,
  // cell_selector::transistor) a cell of a row whose gate is 0 sees 0 V
  // whatever its lines carry.
  double pulse(const double* row_v, const double* col_plus_v, const double* col_minus_v,
               const int* row_gate = nullptr);
  // Steps at 0 V: the devices relax.
  void relax(int steps);

  // What the array did since it was built or since reset_activity()
  // (array_activity). Reads count from const methods: an array is not read
  // from two threads at once.
  const array_activity& activity() const { return activity_; }
  void reset_activity() { activity_ = array_activity{}; }

  double adc_full_scale_a() const { return adc_fs_; }
  double g_span_s() const { return g_span_; }
  // Tolerance of the IR-drop solve of a read (wire_ohm > 0): its current
  // error stays below 1e-7 of the ADC's full scale (crossbar_array.cpp).
  double ir_drop_tolerance() const;
  long long steps() const { return steps_; }
  const model::device_batch& devices() const { return devices_; }
  const model::table& table() const { return table_; }

  // Puts the array back into a state taken from an array of the same table
  // and params (devices(), steps(), activity()), so that its reads, steps
  // and draws continue bit-identically (a saved array, a Python pickle).
  // Refused with std::invalid_argument naming the first bad value, the
  // array unchanged: a batch of other than rows · 2 · cols devices (each of
  // its six arrays), a slow state outside [0, 2^30] raw, a fluctuation
  // outside [-2^30, 2^30], a negative gain, a generator state of 0 (a fixed
  // point of xorshift32), a noise flag other than the params' noise, a
  // negative step count, a negative or non-finite activity counter. The G
  // offset takes every int32 (the read saturates G + offset).
  void restore(const model::device_batch& devices, long long steps, const array_activity& activity);

 private:
  std::int64_t dac_level(double x) const;
  double dac(double x) const;
  double adc(double i) const;
  // Column currents (A) of line voltages v_row and, in power_w, Σ V² G over the cells.
  void column_currents(const std::vector<double>& v_row, const std::vector<double>& g, std::vector<double>& i,
                       double& power_w) const;
  void count_read(long long driven_rows, double power_w, double row_v2) const;

  crossbar_params p_;
  model::table table_;
  model::device_batch devices_;
  std::vector<std::int16_t> volts_;
  std::vector<std::int16_t> one_volt_;  // 1 V on every device: the conductance read
  double g_span_ = 0;  // G at s = 1 minus G at s = 0 (table), S
  double adc_fs_ = 0;
  long long steps_ = 0;
  mutable array_activity activity_;
};

// Fixed-size front end for arrays whose size is known at compile time.
template <int ROWS, int COLS>
class crossbar : public crossbar_array {
  static_assert(ROWS > 0 && COLS > 0, "a crossbar has at least one row and one column");
  static_assert(static_cast<long long>(ROWS) * COLS <= (1ll << 24), "at most 2^24 weights");

 public:
  crossbar(const model::table& table, crossbar_params p) : crossbar_array(table, sized(p)) {}

 private:
  static crossbar_params sized(crossbar_params p) {
    p.rows = ROWS;
    p.cols = COLS;
    return p;
  }
};

}  // namespace ionrail::circuits
