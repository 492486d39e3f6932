#pragma once
// One compact-model device as a SystemC module: the same bits as
// model::step / model::read_current (model/include/ionrail/model/step.hpp)
// and the same ports and timing as the RTL cell
// (verilog_tb/rtl/ionrail_cell.sv), so the two can be swapped or compared
// signal for signal (docs/systemc.md).
//
// Timing: at a rising edge of clk
//   rst              the device is reloaded with its reset value (the device
//                    it was constructed with, or set_reset_device's)
//   else if step_en  one model::step at voltage v, with noise if noise_en
//   else             nothing changes (the noise generator does not advance).
// state, fluct and rng show the registers; g_eff and current follow v and the
// registers combinationally: the current through the device at v now.
//
// The table is not copied: the caller keeps it alive (model_io::load_table of a
// calibrated directory, or a table_view over the const arrays of its
// table.h).
#include <cstdint>

#include <systemc>

#include <ionrail/model/device.hpp>
#include <ionrail/model/formats.hpp>
#include <ionrail/model/table_view.hpp>

#include "ionrail/sc/types.hpp"

namespace ionrail::sc {

class memristor : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;       // synchronous, active high
  sc_core::sc_in<bool> step_en;   // take one model step at this edge
  sc_core::sc_in<bool> noise_en;  // cycle-to-cycle noise for this step
  sc_core::sc_in<volt_t> v;       // step and read voltage, q_volt raw

  sc_core::sc_out<state_t> state;      // slow state s, q_state raw
  sc_core::sc_out<fluct_t> fluct;      // fast fluctuation δ, q_fluct raw
  sc_core::sc_out<rng_t> rng;          // xorshift32 state
  sc_core::sc_out<cond_t> g_eff;       // G(s + δ) + offset, q_cond raw (µS)
  sc_core::sc_out<current_t> current;  // g_eff · v exactly, q_current raw (µA)

  // A device drawn with make_device(seed, var, initial): per-instance
  // variation (gain, offset) and noise generator.
  memristor(sc_core::sc_module_name name, const model::table_view& table, std::uint64_t seed,
            model::variation_params var = model::variation_params::none(),
            model::q_state initial = model::q_state::zero());
  // A given device (known-answer vectors, corner cases).
  memristor(sc_core::sc_module_name name, const model::table_view& table, const model::device& d);

  const char* kind() const override { return "ionrail::sc::memristor"; }

  const model::device& device() const noexcept { return dev_; }
  const model::device& reset_device() const noexcept { return reset_; }
  // What rst loads from the next reset on (the RTL's s_init, fluct_init,
  // rng_init, gain and g_offset inputs); the current device is unchanged.
  void set_reset_device(const model::device& d) noexcept { reset_ = d; }
  const model::table_view& table() const noexcept { return table_; }

 private:
  void update();

  model::table_view table_;
  model::device dev_;
  model::device reset_;
};

}  // namespace ionrail::sc
