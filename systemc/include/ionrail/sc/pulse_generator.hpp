#pragma once
// Shapes a spike into a voltage waveform on a row or column line: the pre-
// and post-synaptic pulses whose overlap across a device (V_row − V_col)
// programs it by spike timing (STDP: only overlapping pulses exceed what
// either does alone).
//
// At a rising edge of clk:
//   rst          the output returns to idle, any pulse is abandoned
//   else trigger (re)starts the waveform: v ← w[0]
//   else         while a pulse runs, v ← the next sample (idle after the last)
// One sample per clock cycle (one model step when the clock also steps the
// devices), so a waveform of n samples lasts n cycles.
#include <cstddef>
#include <vector>

#include <systemc>

#include <ionrail/model/formats.hpp>

#include "ionrail/sc/types.hpp"

namespace ionrail::sc {

// `width` samples at `peak`, then `tail_cycles` samples from `tail` ramping
// linearly towards 0 (tail · (n − j) / n, rounded, j = 0 .. n − 1): a short
// pulse of one sign and a long opposite tail, the usual STDP pulse shape.
std::vector<model::q_volt> stdp_waveform(model::q_volt peak, int width, model::q_volt tail, int tail_cycles);

class pulse_generator : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;      // synchronous, active high
  sc_core::sc_in<bool> trigger;  // a spike: starts the waveform at this edge
  sc_core::sc_out<volt_t> v;     // line voltage, q_volt raw

  pulse_generator(sc_core::sc_module_name name, std::vector<model::q_volt> waveform,
                  model::q_volt idle = model::q_volt::zero());

  const char* kind() const override { return "ionrail::sc::pulse_generator"; }

  const std::vector<model::q_volt>& waveform() const noexcept { return wave_; }
  bool active() const noexcept { return pos_ < wave_.size(); }
  long long pulses() const noexcept { return pulses_; }

 private:
  void update();

  std::vector<model::q_volt> wave_;
  model::q_volt idle_;
  std::size_t pos_;  // sample on the output; wave_.size() when idle
  long long pulses_ = 0;
};

}  // namespace ionrail::sc
