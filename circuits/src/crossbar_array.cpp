#include <ionrail/circuits/crossbar_array.hpp>

#include "batch_steps.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <ionrail/circuits/ir_drop.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::circuits {

crossbar_array::crossbar_array(const model::table& table, const crossbar_params& p) : p_(p), table_(table) {
  if (p.rows <= 0 || p.cols <= 0) throw std::invalid_argument("crossbar: rows and cols must be > 0");
  if (p.dac_bits < 1 || p.dac_bits > 16 || p.adc_bits < 2 || p.adc_bits > 24)
    throw std::invalid_argument("crossbar: dac_bits must be in [1, 16] and adc_bits in [2, 24]");
  if (!(p.v_read_v > 0) || !(p.dt_m_s > 0) || p.wire_ohm < 0 || p.adc_full_scale_a < 0)
    throw std::invalid_argument("crossbar: v_read_v and dt_m_s must be > 0, wire_ohm and adc_full_scale_a >= 0");
  if (table_.check() != model::table_status::ok)
    throw std::invalid_argument(std::string("crossbar: table: ") + model::describe(table_.check()));
  const auto view = table_.view();
  g_span_ = (model::g_at(view, model::q_state::from_raw(model::state_one_raw)).to_double() -
             model::g_at(view, model::q_state::zero()).to_double()) *
            model::cond_unit_siemens;
  adc_fs_ = p.adc_full_scale_a > 0 ? p.adc_full_scale_a : p.rows * p.v_read_v * std::fabs(g_span_) / 4;
  const std::size_t n = static_cast<std::size_t>(p.rows) * static_cast<std::size_t>(2 * p.cols);
  devices_ = model::make_batch(n, stream_seed(p.seed, draw_stream::devices, 0),
                               model::variation_params::from_si(p.gain_sigma, p.offset_sigma_s),
                               model::q_state::from_double(p.initial_state), p.noise);
  volts_.assign(n, 0);
}

std::vector<double> device_conductances_s(const model::table_view& table, const model::device_batch& devices) {
  const std::vector<std::int16_t> one_volt(devices.size(), static_cast<std::int16_t>(1 << model::q_volt::frac_bits));
  std::vector<std::int64_t> raw(devices.size());
  detail::read_devices(table, devices, one_volt.data(), raw.data());
  std::vector<double> g(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    g[i] = static_cast<double>(raw[i]) * model::q_current::lsb * model::current_unit_ampere;
  return g;
}

std::vector<double> crossbar_array::conductances() const { return device_conductances_s(table_.view(), devices_); }

std::vector<double> crossbar_array::weights() const {
  const std::vector<double> g = conductances();
  std::vector<double> w(static_cast<std::size_t>(p_.rows) * static_cast<std::size_t>(p_.cols));
  for (int r = 0; r < p_.rows; ++r)
    for (int c = 0; c < p_.cols; ++c)
      w[static_cast<std::size_t>(r) * p_.cols + c] = g[index(r, c, false)] - g[index(r, c, true)];
  return w;
}

double crossbar_array::dac(double x) const {
  const double levels = std::ldexp(1.0, p_.dac_bits) - 1;
  return std::round(std::clamp(x, 0.0, 1.0) * levels) / levels * p_.v_read_v;
}

double crossbar_array::adc(double i) const {
  const double half = std::ldexp(1.0, p_.adc_bits - 1) - 1;
  return std::round(std::clamp(i / adc_fs_, -1.0, 1.0) * half) / half * adc_fs_;
}

void crossbar_array::column_currents(const std::vector<double>& v_row, const std::vector<double>& g,
                                     std::vector<double>& i) const {
  const int lines = 2 * p_.cols;
  if (p_.wire_ohm > 0) {
    ir_drop_problem prob{p_.rows, lines, p_.wire_ohm, v_row.data(), g.data()};
    i = solve_ir_drop(prob).column_current_a;
    return;
  }
  i.assign(static_cast<std::size_t>(lines), 0.0);
  for (int r = 0; r < p_.rows; ++r) {
    const double v = v_row[static_cast<std::size_t>(r)];
    if (v == 0) continue;
    const double* row = g.data() + static_cast<std::size_t>(r) * lines;
    for (int c = 0; c < lines; ++c) i[static_cast<std::size_t>(c)] += row[c] * v;
  }
}

void crossbar_array::read(const double* x, double* out) const { read_with(conductances(), x, out); }

void crossbar_array::read_with(const std::vector<double>& g, const double* x, double* out) const {
  std::vector<double> v(static_cast<std::size_t>(p_.rows)), i;
  for (int r = 0; r < p_.rows; ++r) v[static_cast<std::size_t>(r)] = dac(x[r]);
  column_currents(v, g, i);
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

double crossbar_array::pulse(const double* row_v, const double* col_plus_v, const double* col_minus_v) {
  const std::vector<double> g = conductances();
  double energy = 0;
  for (int r = 0; r < p_.rows; ++r)
    for (int c = 0; c < p_.cols; ++c)
      for (bool minus : {false, true}) {
        const std::size_t k = index(r, c, minus);
        const double v = row_v[r] - (minus ? col_minus_v[c] : col_plus_v[c]);
        const model::q_volt q = model::q_volt::from_double(v);
        volts_[k] = q.raw();
        const double vq = q.to_double();
        energy += g[k] * vq * vq * p_.dt_m_s;
      }
  detail::step_devices(table_.view(), devices_, volts_.data());
  ++steps_;
  return energy;
}

void crossbar_array::relax(int steps) {
  std::fill(volts_.begin(), volts_.end(), std::int16_t{0});
  for (int k = 0; k < steps; ++k) detail::step_devices(table_.view(), devices_, volts_.data());
  steps_ += steps;
}

}  // namespace ionrail::circuits
