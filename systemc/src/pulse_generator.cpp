#include "ionrail/sc/pulse_generator.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>

namespace ionrail::sc {

std::vector<model::q_volt> stdp_waveform(model::q_volt peak, int width, model::q_volt tail, int tail_cycles) {
  if (width < 0 || tail_cycles < 0) throw std::invalid_argument("stdp_waveform: negative length");
  std::vector<model::q_volt> w(static_cast<std::size_t>(width), peak);
  const std::int64_t n = tail_cycles;
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int64_t num = std::int64_t{tail.raw()} * (n - j);
    // Round half away from zero, so the ramp is symmetric in the tail's sign.
    const std::int64_t x = (num >= 0 ? num + n / 2 : num - n / 2) / n;
    w.push_back(model::q_volt::from_raw(static_cast<std::int16_t>(x)));
  }
  return w;
}

pulse_generator::pulse_generator(sc_core::sc_module_name name, std::vector<model::q_volt> waveform,
                                 model::q_volt idle)
    : sc_core::sc_module(name),
      clk("clk"),
      rst("rst"),
      trigger("trigger"),
      v("v"),
      wave_(std::move(waveform)),
      idle_(idle),
      pos_(wave_.size()) {
  // One process drives v; its run at start-up shows the idle level.
  SC_HAS_PROCESS(pulse_generator);
  SC_METHOD(update);
  sensitive << clk.pos();
}

void pulse_generator::update() {
  if (!clk.posedge()) {
    // start-up
  } else if (rst.read()) {
    pos_ = wave_.size();
  } else if (trigger.read()) {
    pos_ = 0;
    ++pulses_;
  } else if (pos_ < wave_.size()) {
    ++pos_;
  } else {
    return;
  }
  v.write(to_port(pos_ < wave_.size() ? wave_[pos_] : idle_));
}

}  // namespace ionrail::sc
