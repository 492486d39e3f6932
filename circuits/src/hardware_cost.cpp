#include <ionrail/circuits/hardware_cost.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace ionrail::circuits {

double cost_breakdown::energy_total_j() const { return std::accumulate(energy_j.begin(), energy_j.end(), 0.0); }

double hardware_cost::area_total_m2() const { return std::accumulate(area_m2.begin(), area_m2.end(), 0.0); }

namespace {

void check_layout(const cost_layout& l, const hardware_params& hw) {
  if (l.tiles < 1 || l.tile_rows < 1 || l.tile_cols < 1 || l.adc_bits < 1 || l.accumulator_bits < 0 ||
      hw.columns_per_adc < 1 || !(l.weights >= 0) || !(l.dt_m_s >= 0))
    throw std::invalid_argument("hardware cost: tiles, tile rows and columns, ADC bits and columns per ADC must be "
                                ">= 1 (an ideal ADC has no cost), accumulator bits, weights and dt_m >= 0");
}

}  // namespace

cost_breakdown cost_of(const array_activity& a, const digital_ops& ops, double updated_weights,
                       const cost_layout& l, const hardware_params& hw) {
  check_layout(l, hw);
  cost_breakdown c;
  c.energy_j[array_read] = a.read_power_w * hw.read_time_s;
  c.energy_j[write_pulses] = a.write_energy_j;
  // A driven word line spans the tile's 2 · cols devices; its DAC converts
  // and charges the line to V_r: E = E_DAC + C_line · V_r² per driven row.
  const double line_cap_f = hw.wire_cap_f_per_m * hw.cell_pitch_m * 2.0 * l.tile_cols;
  c.energy_j[dac] = static_cast<double>(a.dac_conversions) * hw.dac_energy_j + line_cap_f * a.row_v2;
  c.energy_j[adc] = static_cast<double>(a.adc_conversions) * hw.adc_fom_walden_j * std::ldexp(1.0, l.adc_bits);
  c.energy_j[digital] = ops.int_adds * hw.int_add_energy_j + ops.fp_adds * hw.fp_add_energy_j +
                        ops.fp_mults * hw.fp_mult_energy_j;
  // Read, then write back, every accumulator bit of the updated weights.
  c.energy_j[accumulator] = 2.0 * updated_weights * l.accumulator_bits * hw.sram_bit_energy_j;
  // Tiles work in parallel: the write steps of one tile (a network's
  // layers, whose tiles are unevenly busy, count their device time
  // instead: app network_cost).
  const double steps = static_cast<double>(a.write_steps) / l.tiles;
  c.latency_s = read_latency_s(a, l, hw) + steps * l.dt_m_s;
  return c;
}

double read_latency_s(const array_activity& a, const cost_layout& l, const hardware_params& hw) {
  check_layout(l, hw);
  // Every tile takes every read; an ADC converts its columns one after
  // another (at most the tile's).
  const double reads = static_cast<double>(a.reads) / l.tiles;
  const int serial = std::min(hw.columns_per_adc, l.tile_cols);
  return reads * (hw.read_time_s + serial * hw.adc_conversion_s);
}

std::array<double, cost_parts> area_of(const cost_layout& l, const hardware_params& hw) {
  check_layout(l, hw);
  std::array<double, cost_parts> area{};
  const double cell = hw.cell_pitch_m * hw.cell_pitch_m;
  area[array_read] = static_cast<double>(l.tiles) * l.tile_rows * 2.0 * l.tile_cols * cell;
  area[dac] = static_cast<double>(l.tiles) * l.tile_rows * hw.dac_area_m2;
  const int adcs = (l.tile_cols + hw.columns_per_adc - 1) / hw.columns_per_adc;
  area[adc] = static_cast<double>(l.tiles) * adcs * hw.adc_area_m2;
  // One partial-sum adder per tile column, one float adder and multiplier
  // for the softmax and the error.
  area[digital] = static_cast<double>(l.tiles) * l.tile_cols * hw.int_add_area_m2 + hw.fp_add_area_m2 +
                  hw.fp_mult_area_m2;
  area[accumulator] = l.weights * l.accumulator_bits * hw.sram_bit_area_m2;
  return area;
}

cost_breakdown per_each(const cost_breakdown& total, double n) {
  if (!(n > 0)) throw std::invalid_argument("hardware cost: per_each needs n > 0");
  cost_breakdown c = total;
  for (double& e : c.energy_j) e /= n;
  c.latency_s /= n;
  return c;
}

array_activity activity_since(const array_activity& now, const array_activity& before) {
  array_activity d;
  d.reads = now.reads - before.reads;
  d.dac_conversions = now.dac_conversions - before.dac_conversions;
  d.adc_conversions = now.adc_conversions - before.adc_conversions;
  d.read_power_w = now.read_power_w - before.read_power_w;
  d.row_v2 = now.row_v2 - before.row_v2;
  d.write_steps = now.write_steps - before.write_steps;
  d.cells_driven = now.cells_driven - before.cells_driven;
  d.write_energy_j = now.write_energy_j - before.write_energy_j;
  d.relax_steps = now.relax_steps - before.relax_steps;
  return d;
}

}  // namespace ionrail::circuits
