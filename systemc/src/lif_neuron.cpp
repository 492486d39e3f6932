#include "ionrail/sc/lif_neuron.hpp"

namespace ionrail::sc {

lif_neuron::lif_neuron(sc_core::sc_module_name name, const model::lif_params& params)
    : sc_core::sc_module(name),
      clk("clk"),
      rst("rst"),
      step_en("step_en"),
      i_in("i_in"),
      v("v"),
      refractory("refractory"),
      spike("spike"),
      params_(params),
      state_(model::lif_init(params)) {
  // One process drives the outputs (one writer per signal); its run at
  // start-up shows the neuron at rest (lif_init; the RTL's registers are
  // zero until its first reset).
  SC_HAS_PROCESS(lif_neuron);
  SC_METHOD(update);
  sensitive << clk.pos();
}

void lif_neuron::update() {
  bool fired = false;
  if (!clk.posedge()) {
    // start-up
  } else if (rst.read()) {
    state_ = model::lif_init(params_);
  } else if (step_en.read()) {
    fired = model::lif_step(params_, state_, from_port<model::q_current>(i_in.read()));
    if (fired) ++spikes_;
  }
  drive(fired);
}

void lif_neuron::drive(bool fired) {
  v.write(to_port(state_.v));
  refractory.write(refractory_t(static_cast<unsigned>(state_.refractory)));
  spike.write(fired);
}

}  // namespace ionrail::sc
