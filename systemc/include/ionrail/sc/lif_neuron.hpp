#pragma once
// Leaky integrate-and-fire neuron as a SystemC module: model::lif_step
// (model/include/ionrail/model/lif.hpp) with the ports and timing of the RTL
// neuron (verilog_tb/rtl/ionrail_lif.sv).
//
// At a rising edge of clk:
//   rst             v ← v_rest, refractory ← 0, spike ← 0 (model::lif_init)
//   else            spike ← 0, then if step_en: one lif_step on i_in;
//                   spike ← 1 if it fired
// so spike is a one-cycle pulse in the cycle after a step that fired. v and
// refractory show the registers. Parameters are fixed at construction or
// changed between steps with set_params.
#include <systemc>

#include <ionrail/model/lif.hpp>

#include "ionrail/sc/types.hpp"

namespace ionrail::sc {

class lif_neuron : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;      // synchronous, active high
  sc_core::sc_in<bool> step_en;  // integrate one step at this edge
  sc_core::sc_in<current_t> i_in;  // input current, q_current raw (a crossbar column's i_col)

  sc_core::sc_out<membrane_t> v;             // membrane potential, q_membrane raw
  sc_core::sc_out<refractory_t> refractory;  // steps still held at v_reset
  sc_core::sc_out<bool> spike;

  lif_neuron(sc_core::sc_module_name name, const model::lif_params& params);

  const char* kind() const override { return "ionrail::sc::lif_neuron"; }

  const model::lif_params& params() const noexcept { return params_; }
  void set_params(const model::lif_params& p) noexcept { params_ = p; }
  const model::lif_state& neuron_state() const noexcept { return state_; }
  // Spikes since construction.
  long long spikes() const noexcept { return spikes_; }

 private:
  void update();
  void drive(bool fired);

  model::lif_params params_;
  model::lif_state state_;
  long long spikes_ = 0;
};

}  // namespace ionrail::sc
