#pragma once
// Hardware cost of a crossbar classifier (docs/circuits.md, "Hardware
// cost"): energy, latency and area per inference, per training update and
// per epoch, from what the arrays did (array_activity, counted by
// crossbar_array) and a hardware description whose numbers come with their
// sources (the hardware file, e.g. materials/hardware_45nm.toml, read by
// the config library). Broken down into the array read (Σ V² G t_read, from
// the devices), the write pulses (the model's ∫IV), the DACs (converter and
// word-line charge), the ADCs (Walden's figure of merit × 2^bits), the
// digital periphery (adds and float operations at a stated node) and the
// accumulator memory (SRAM bits per weight, given by the learning rule).
#include <array>
#include <string>

#include <ionrail/circuits/crossbar_array.hpp>

namespace ionrail::circuits {

// Every number of the hardware file (SI units); its sources travel beside
// it in the config library's hardware_file.
struct hardware_params {
  double adc_fom_walden_j = 0;      // J per conversion step: E_ADC = FOM_W · 2^ENOB, ENOB = adc_bits
  double adc_conversion_s = 0;      // one conversion
  double adc_area_m2 = 0;           // one ADC
  int columns_per_adc = 1;          // columns multiplexed onto one ADC (converted one after another)
  double dac_energy_j = 0;          // one conversion of one row's DAC, the line's charge aside
  double dac_area_m2 = 0;           // one row's DAC and driver
  double read_time_s = 0;           // t_read: the bit lines integrate the current this long per read
  double wire_cap_f_per_m = 0;      // word-line capacitance per length: a driven row charges C·V²
  double cell_pitch_m = 0;          // one device's pitch along a line (2F for a 4F² cell)
  double int_add_energy_j = 0;      // one 32-bit integer add (partial sums, argmax compares)
  double int_add_area_m2 = 0;
  double fp_add_energy_j = 0;       // one 32-bit float add (softmax, error)
  double fp_add_area_m2 = 0;
  double fp_mult_energy_j = 0;      // one 32-bit float multiply
  double fp_mult_area_m2 = 0;
  double sram_bit_energy_j = 0;     // reading or writing one SRAM bit (a 64-bit word's energy / 64)
  double sram_bit_area_m2 = 0;      // one 6T SRAM cell
};

// Digital work the rule does beyond what the arrays count, per inference
// or per update (the caller knows its rule).
struct digital_ops {
  double int_adds = 0;
  double fp_adds = 0;
  double fp_mults = 0;
};

// The layout the activity came from: tiles of tile_rows × tile_cols weights
// (one array: tiles = 1), weights = rows × cols of the whole layer.
struct cost_layout {
  int tiles = 1;
  int tile_rows = 0;
  int tile_cols = 0;
  int adc_bits = 8;              // ENOB of the ADC (the ideal ADC, 0, is refused: it has no cost)
  double dt_m_s = 0;             // one write step (the table's model step)
  double weights = 0;            // weights of the layer
  int accumulator_bits = 0;      // digital accumulator bits per weight (0: none; mixed-precision rules)
};

enum cost_part { array_read, write_pulses, dac, adc, digital, accumulator, cost_parts };
inline constexpr std::array<const char*, cost_parts> cost_part_names = {
    "array read", "write pulses", "DAC", "ADC", "digital periphery", "accumulator memory"};

struct cost_breakdown {
  std::array<double, cost_parts> energy_j{};
  double latency_s = 0;
  double energy_total_j() const;
};

struct hardware_cost {
  cost_breakdown per_inference, per_update, per_epoch;
  std::array<double, cost_parts> area_m2{};  // area of the hardware (write pulses: none of its own)
  double area_total_m2() const;
};

// Energy and latency of what `activity` counts, plus `ops`: reads take
// t_read + columns_per_adc conversions each (tiles read in parallel), write
// steps dt_m each (tiles write in parallel); the accumulator's bits are read
// and written once per update of `updated_weights` weights.
cost_breakdown cost_of(const array_activity& activity, const digital_ops& ops, double updated_weights,
                       const cost_layout& layout, const hardware_params& hw);

// The area of the layout's hardware.
std::array<double, cost_parts> area_of(const cost_layout& layout, const hardware_params& hw);

// The reads' share of cost_of's latency: t_read + min(columns_per_adc,
// tile_cols) conversions per read of one tile (tiles read in parallel).
double read_latency_s(const array_activity& activity, const cost_layout& layout, const hardware_params& hw);

// cost_of's breakdown divided by n (per inference, per update); n > 0.
cost_breakdown per_each(const cost_breakdown& total, double n);

// a − b, field by field: the activity between two snapshots.
array_activity activity_since(const array_activity& now, const array_activity& before);

}  // namespace ionrail::circuits
