#include <ionrail/circuits/crossbar_array.hpp>

#include "batch_steps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <ionrail/circuits/ir_drop.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::circuits {

crossbar_array::crossbar_array(const model::table& table, const crossbar_params& p)
    : crossbar_array(table, p, device_placement{}) {}

crossbar_array::crossbar_array(const model::table& table, const crossbar_params& p, const device_placement& at)
    : p_(p), table_(table) {
  if (p.rows <= 0 || p.cols <= 0) throw std::invalid_argument("crossbar: rows and cols must be > 0");
  if (p.dac_bits < 1 || p.dac_bits > 16 || (p.adc_bits != 0 && (p.adc_bits < 2 || p.adc_bits > 24)))
    throw std::invalid_argument("crossbar: dac_bits must be in [1, 16] and adc_bits 0 (ideal) or in [2, 24]");
  const int global_cols = at.global_cols == 0 ? p.cols : at.global_cols;
  if (at.row0 < 0 || at.col0 < 0 || global_cols < 0 || at.col0 + p.cols > global_cols)
    throw std::invalid_argument("crossbar: device placement at row " + std::to_string(at.row0) + ", column " +
                                std::to_string(at.col0) + " of " + std::to_string(global_cols) +
                                " columns does not hold " + std::to_string(p.cols) + " columns");
  if (!(p.v_read_v > 0) || !(p.dt_m_s > 0) || p.wire_ohm < 0 || p.adc_full_scale_a < 0)
    throw std::invalid_argument("crossbar: v_read_v and dt_m_s must be > 0, wire_ohm and adc_full_scale_a >= 0");
  check_device_start(p.initial_state, p.gain_sigma, p.offset_sigma_s, "crossbar: ");
  if (!std::isfinite(p.v_read_v) || !std::isfinite(p.dt_m_s) || !std::isfinite(p.wire_ohm) || !std::isfinite(p.adc_full_scale_a))
    throw std::invalid_argument("crossbar: v_read_v, dt_m_s, wire_ohm and adc_full_scale_a must be finite");
  if (p.v_read_v > model::q_volt::max().to_double())
    throw std::invalid_argument("crossbar: v_read_v " + std::to_string(p.v_read_v) + " V is past the model's +-16 V");
  if (table_.check() != model::table_status::ok)
    throw std::invalid_argument(std::string("crossbar: table: ") + model::describe(table_.check()));
  const auto view = table_.view();
  g_span_ = (model::g_at(view, model::q_state::from_raw(model::state_one_raw)).to_double() -
             model::g_at(view, model::q_state::zero()).to_double()) *
            model::cond_unit_siemens;
  adc_fs_ = p.adc_full_scale_a > 0 ? p.adc_full_scale_a : p.rows * p.v_read_v * std::fabs(g_span_) / 4;
  const std::size_t n = static_cast<std::size_t>(p.rows) * static_cast<std::size_t>(2 * p.cols);
  // make_batch's seeds (device_seed(base, flat index)), with the flat index
  // of the global matrix: the array on its own gets make_batch's devices.
  const std::uint64_t base = stream_seed(p.seed, draw_stream::devices, 0);
  const auto var = model::variation_params::from_si(p.gain_sigma, p.offset_sigma_s);
  const auto initial = model::q_state::from_double(p.initial_state);
  devices_.reserve(n);
  for (int r = 0; r < p.rows; ++r)
    for (int k = 0; k < 2 * p.cols; ++k) {
      const std::uint64_t global = static_cast<std::uint64_t>(at.row0 + r) * static_cast<std::uint64_t>(2 * global_cols) +
                                   static_cast<std::uint64_t>(2 * at.col0 + k);
      devices_.push_back(model::make_device(model::device_seed(base, global), var, initial, p.noise));
    }
  volts_.assign(n, 0);
  one_volt_.assign(n, static_cast<std::int16_t>(1 << model::q_volt::frac_bits));
}

void check_device_start(double initial_state, double gain_sigma, double offset_sigma_s, const std::string& prefix) {
  if (!(initial_state >= 0.0 && initial_state <= 1.0))
    throw std::invalid_argument(prefix + "initial_state " + std::to_string(initial_state) + " is outside [0, 1]");
  if (!(gain_sigma >= 0.0 && gain_sigma <= 1.0))
    throw std::invalid_argument(prefix + "gain_sigma " + std::to_string(gain_sigma) + " is outside [0, 1]");
  if (!(offset_sigma_s >= 0.0 && offset_sigma_s <= 1e-3))
    throw std::invalid_argument(prefix + "offset_sigma_s " + std::to_string(offset_sigma_s) + " is outside [0, 1e-3] S");
}

namespace {

// "WHO: NAME[i] is X; expected LO to HI" for the first entry of v outside
// [lo, hi].
template <class T>
void check_entries(const std::vector<T>& v, const std::string& who, const char* name, long long lo, long long hi) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (static_cast<long long>(v[i]) < lo || static_cast<long long>(v[i]) > hi)
      throw std::invalid_argument(who + ": " + std::string(name) + "[" + std::to_string(i) + "] is " +
                                  std::to_string(static_cast<long long>(v[i])) + "; expected " + std::to_string(lo) +
                                  " to " + std::to_string(hi));
}

void check_count(long long v, const char* name) {
  if (v < 0) throw std::invalid_argument("crossbar restore: " + std::string(name) + " is " + std::to_string(v) + "; expected >= 0");
}

void check_sum(double v, const char* name) {
  if (!(std::isfinite(v) && v >= 0))
    throw std::invalid_argument("crossbar restore: " + std::string(name) + " is " + std::to_string(v) +
                                "; expected a finite number >= 0");
}

}  // namespace

void check_device_batch(const model::device_batch& d, std::size_t n, const std::string& who) {
  const std::pair<const char*, std::size_t> sizes[] = {{"state", d.state.size()}, {"fluct", d.fluct.size()},
                                                       {"gain", d.gain.size()},   {"g_offset", d.g_offset.size()},
                                                       {"rng", d.rng.size()},     {"noise", d.noise.size()}};
  for (const auto& [name, size] : sizes)
    if (size != n)
      throw std::invalid_argument(who + ": " + std::string(name) + " holds " + std::to_string(size) + " devices; expected " +
                                  std::to_string(n));
  check_entries(d.state, who, "state", 0, model::state_one_raw);
  check_entries(d.fluct, who, "fluct", -model::state_one_raw, model::state_one_raw);
  check_entries(d.gain, who, "gain", 0, model::int_max<std::int32_t>);
  check_entries(d.rng, who, "rng", 1, std::numeric_limits<std::uint32_t>::max());  // xorshift32 stays at 0
  check_entries(d.noise, who, "noise", 0, 1);
}

void crossbar_array::restore(const model::device_batch& d, long long steps, const array_activity& a) {
  const std::size_t n = devices_.size();
  const std::pair<const char*, std::size_t> sizes[] = {{"state", d.state.size()}, {"fluct", d.fluct.size()},
                                                       {"gain", d.gain.size()},   {"g_offset", d.g_offset.size()},
                                                       {"rng", d.rng.size()},     {"noise", d.noise.size()}};
  for (const auto& [name, size] : sizes)
    if (size != n)
      throw std::invalid_argument("crossbar restore: " + std::string(name) + " holds " + std::to_string(size) +
                                  " devices; expected " + std::to_string(n) + " (rows " + std::to_string(p_.rows) +
                                  " x 2 x cols " + std::to_string(p_.cols) + ")");
  check_device_batch(d, n, "crossbar restore");
  const std::uint8_t noise = p_.noise ? 1 : 0;  // every device of an array shares its params' flag
  for (std::size_t i = 0; i < n; ++i)
    if (d.noise[i] != noise)
      throw std::invalid_argument("crossbar restore: noise[" + std::to_string(i) + "] is " + std::to_string(d.noise[i]) +
                                  "; expected " + std::to_string(noise) + ", the array's noise flag");
  check_count(steps, "steps");
  for (const auto& [v, name] : {std::pair{a.reads, "reads"}, {a.dac_conversions, "dac_conversions"},
                                {a.adc_conversions, "adc_conversions"}, {a.write_steps, "write_steps"},
                                {a.cells_driven, "cells_driven"}, {a.relax_steps, "relax_steps"}})
    check_count(v, name);
  for (const auto& [v, name] : {std::pair{a.read_power_w, "read_power_w"}, {a.row_v2, "row_v2"},
                                {a.write_energy_j, "write_energy_j"}})
    check_sum(v, name);
  devices_ = d;
  steps_ = steps;
  activity_ = a;
}

std::vector<double> device_conductances_s(const model::table_view& table, const model::device_batch& devices) {
  const std::vector<std::int16_t> one_volt(devices.size(), static_cast<std::int16_t>(1 << model::q_volt::frac_bits));
  std::vector<std::int64_t> raw(devices.size());
  detail::read_devices(table, devices, one_volt.data(), raw.data());
  std::vector<double> g(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    g[i] = raw_to_siemens(raw[i]);
  return g;
}

std::vector<double> crossbar_array::conductances() const { return device_conductances_s(table_.view(), devices_); }

std::vector<std::int64_t> crossbar_array::conductances_raw() const {
  std::vector<std::int64_t> raw;
  conductances_raw(raw);
  return raw;
}

void crossbar_array::conductances_raw(std::vector<std::int64_t>& out) const {
  out.resize(devices_.size());
  detail::read_devices(table_.view(), devices_, one_volt_.data(), out.data());
}

std::vector<double> crossbar_array::weights() const {
  const std::vector<double> g = conductances();
  std::vector<double> w(static_cast<std::size_t>(p_.rows) * static_cast<std::size_t>(p_.cols));
  for (int r = 0; r < p_.rows; ++r)
    for (int c = 0; c < p_.cols; ++c)
      w[static_cast<std::size_t>(r) * p_.cols + c] = g[index(r, c, false)] - g[index(r, c, true)];
  return w;
}

std::int64_t crossbar_array::dac_level(double x) const {
  const double levels = std::ldexp(1.0, p_.dac_bits) - 1;
  return static_cast<std::int64_t>(std::round(std::clamp(x, 0.0, 1.0) * levels));
}

double crossbar_array::dac(double x) const {
  const double levels = std::ldexp(1.0, p_.dac_bits) - 1;
  return std::round(std::clamp(x, 0.0, 1.0) * levels) / levels * p_.v_read_v;
}

double crossbar_array::adc(double i) const {
  if (p_.adc_bits == 0) return i;
  const double half = std::ldexp(1.0, p_.adc_bits - 1) - 1;
  return std::round(std::clamp(i / adc_fs_, -1.0, 1.0) * half) / half * adc_fs_;
}

double crossbar_array::ir_drop_tolerance() const {
  // The solve stops when no node moves by more than tol · max |v_row| ≤
  // tol · v_read in a sweep; its error is then below that move (about
  // ρ / (1 − ρ) of it, the sweeps contracting by ρ ≈ 0.02–0.3;
  // docs/circuits.md), and a bit line's current, y · w at
  // its last node, is off by at most tol · v_read / wire_ohm — twice that for
  // a differential pair. Keeping this below 1e-7 of the ADC's full scale (a
  // 12-bit ADC's step is 5e-4 of it) makes the error invisible after the ADC
  // but for a rounding flip in at most 1 of 5,000 conversions (bound, not
  // the actual error, which is orders smaller). An ideal ADC
  // (adc_bits = 0) keeps the solver's default, near round-off.
  constexpr double default_tolerance = 1e-12;
  if (p_.adc_bits == 0) return default_tolerance;
  return std::max(default_tolerance, 0.5e-7 * adc_fs_ * p_.wire_ohm / p_.v_read_v);
}

void crossbar_array::column_currents(const std::vector<double>& v_row, const std::vector<double>& g,
                                     std::vector<double>& i, double& power_w) const {
  const int lines = 2 * p_.cols;
  power_w = 0;
  if (p_.wire_ohm > 0) {
    ir_drop_problem prob{p_.rows, lines, p_.wire_ohm, v_row.data(), g.data()};
    i = solve_ir_drop(prob, ir_drop_tolerance()).column_current_a;
    // The driven voltage across every cell: an upper bound (array_activity).
    for (int r = 0; r < p_.rows; ++r) {
      const double v = v_row[static_cast<std::size_t>(r)];
      const double* row = g.data() + static_cast<std::size_t>(r) * lines;
      for (int c = 0; c < lines; ++c) power_w += v * v * row[c];
    }
    return;
  }
  // The read power Σ V² G per line beside the currents, in the same
  // vectorised pass over the conductances (a running scalar sum would
  // serialise the loop).
  i.assign(static_cast<std::size_t>(lines), 0.0);
  std::vector<double> p(static_cast<std::size_t>(lines), 0.0);
  for (int r = 0; r < p_.rows; ++r) {
    const double v = v_row[static_cast<std::size_t>(r)];
    if (v == 0) continue;
    const double v2 = v * v;
    const double* row = g.data() + static_cast<std::size_t>(r) * lines;
    for (int c = 0; c < lines; ++c) {
      i[static_cast<std::size_t>(c)] += row[c] * v;
      p[static_cast<std::size_t>(c)] += row[c] * v2;
    }
  }
  for (double x : p) power_w += x;
}

void crossbar_array::read(const double* x, double* out) const {
  if (p_.adc_bits == 0 && p_.wire_ohm == 0) {
    // Exact: the sums a tiled layer adds across tiles (tiled_layer.hpp), so
    // tiled and untiled agree bit for bit.
    std::vector<exact_sum> sums(static_cast<std::size_t>(p_.cols));
    exact_read(conductances_raw(), x, sums.data());
    const double unit = exact_unit_a();
    for (int c = 0; c < p_.cols; ++c) out[c] = static_cast<double>(sums[static_cast<std::size_t>(c)]) * unit;
    return;
  }
  read_with(conductances(), x, out);
}

double crossbar_array::exact_unit_a() const {
  return model::q_current::lsb * model::current_unit_ampere * p_.v_read_v / (std::ldexp(1.0, p_.dac_bits) - 1);
}

void crossbar_array::exact_read(const std::vector<std::int64_t>& g_raw, const double* x, exact_sum* out) const {
  const std::size_t lines = static_cast<std::size_t>(2 * p_.cols);
  if (g_raw.size() != static_cast<std::size_t>(p_.rows) * lines)
    throw std::invalid_argument("crossbar: exact_read: " + std::to_string(g_raw.size()) + " conductances for " +
                                std::to_string(static_cast<std::size_t>(p_.rows) * lines) + " devices");
  for (int c = 0; c < p_.cols; ++c) out[c] = 0;
  // Σ level² · (raw G+ + raw G−), exact; converted once below (activity).
  exact_sum power = 0;
  long long driven = 0, levels2 = 0;
  for (int r = 0; r < p_.rows; ++r) {
    const std::int64_t level = dac_level(x[r]);
    if (level == 0) continue;
    ++driven;
    levels2 += level * level;
    const std::int64_t* row = g_raw.data() + static_cast<std::size_t>(r) * lines;
    exact_sum row_g = 0;
    for (int c = 0; c < p_.cols; ++c) {
      out[c] += static_cast<exact_sum>(row[2 * c] - row[2 * c + 1]) * level;
      row_g += static_cast<exact_sum>(row[2 * c]) + row[2 * c + 1];
    }
    power += row_g * level * level;
  }
  const double volt_per_level = p_.v_read_v / (std::ldexp(1.0, p_.dac_bits) - 1);
  count_read(driven, static_cast<double>(power) * model::q_current::lsb * model::current_unit_ampere *
                         volt_per_level * volt_per_level,
             static_cast<double>(levels2) * volt_per_level * volt_per_level);
}

void crossbar_array::count_read(long long driven_rows, double power_w, double row_v2) const {
  ++activity_.reads;
  activity_.dac_conversions += driven_rows;
  activity_.adc_conversions += p_.cols;
  activity_.read_power_w += power_w;
  activity_.row_v2 += row_v2;
}

void crossbar_array::read_with(const std::vector<double>& g, const double* x, double* out) const {
  std::vector<double> v(static_cast<std::size_t>(p_.rows)), i;
  for (int r = 0; r < p_.rows; ++r) v[static_cast<std::size_t>(r)] = dac(x[r]);
  double power = 0;
  column_currents(v, g, i, power);
  long long driven = 0;
  double v2 = 0;
  for (int r = 0; r < p_.rows; ++r) {
    const double vr = v[static_cast<std::size_t>(r)];
    driven += vr != 0;
    v2 += vr * vr;
  }
  count_read(driven, power, v2);
  for (int c = 0; c < p_.cols; ++c)
    out[c] = adc(i[static_cast<std::size_t>(2 * c)] - i[static_cast<std::size_t>(2 * c + 1)]);
}

void crossbar_array::read_exact(const double* x, double* out) const {
  std::vector<double> v(static_cast<std::size_t>(p_.rows)), i;
  for (int r = 0; r < p_.rows; ++r) v[static_cast<std::size_t>(r)] = std::clamp(x[r], 0.0, 1.0) * p_.v_read_v;
  const std::vector<double> g = conductances();
  i.assign(static_cast<std::size_t>(2 * p_.cols), 0.0);
  for (int r = 0; r < p_.rows; ++r)
    for (int c = 0; c < 2 * p_.cols; ++c)
      i[static_cast<std::size_t>(c)] += g[static_cast<std::size_t>(r) * (2 * p_.cols) + c] * v[static_cast<std::size_t>(r)];
  for (int c = 0; c < p_.cols; ++c) out[c] = i[static_cast<std::size_t>(2 * c)] - i[static_cast<std::size_t>(2 * c + 1)];
}

double crossbar_array::pulse(const double* row_v, const double* col_plus_v, const double* col_minus_v,
                             const int* row_gate) {
  const std::vector<double> g = conductances();
  double energy = 0;
  long long driven = 0;
  for (int r = 0; r < p_.rows; ++r)
    for (int c = 0; c < p_.cols; ++c)
      for (bool minus : {false, true}) {
        const std::size_t k = index(r, c, minus);
        const double v = row_gate && row_gate[r] == 0 ? 0.0 : row_v[r] - (minus ? col_minus_v[c] : col_plus_v[c]);
        const model::q_volt q = model::q_volt::from_double(v);
        volts_[k] = q.raw();
        const double vq = q.to_double();
        energy += g[k] * vq * vq * p_.dt_m_s;
        driven += q.raw() != 0;
      }
  detail::step_devices(table_.view(), devices_, volts_.data());
  ++steps_;
  ++activity_.write_steps;
  activity_.cells_driven += driven;
  activity_.write_energy_j += energy;
  return energy;
}

void crossbar_array::relax(int steps) {
  if (steps < 0) throw std::invalid_argument("crossbar relax: steps " + std::to_string(steps) + " is negative");
  std::fill(volts_.begin(), volts_.end(), std::int16_t{0});
  for (int k = 0; k < steps; ++k) detail::step_devices(table_.view(), devices_, volts_.data());
  steps_ += steps;
  activity_.relax_steps += steps;
}

}  // namespace ionrail::circuits
