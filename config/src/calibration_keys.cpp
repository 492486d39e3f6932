// [calibration]: the KMC ensembles `ionrail calibrate` measures a
// compact-model table from. The loader checks these ranges itself.
#include <cmath>

#include "schema_tables.hpp"

namespace ionrail::config::detail {
// The model extracts the voltage index by a shift: the step is a power of two volts.
bool power_of_two(double v) {
  const double e = std::log2(v);
  return std::isfinite(e) && e == std::floor(e);
}

section_def calibration_section() {
  auto s = plain_section({"calibration", "used by `ionrail calibrate` and `ionrail replay`"});
  s.key("device_rails", [](auto& c) -> auto& { return c.calibration.device_rails; })
      .unit("rails").range(closed(1, 1e6))
      .doc("rails per model device (the device size the noise is calibrated for)");
  s.key("devices", [](auto& c) -> auto& { return c.calibration.devices; })
      .range(closed(2, 255)).note("(rail classes)")
      .doc("independent devices per KMC run (rail classes, each with its own mean field); replay steps as many");
  s.key("runs", [](auto& c) -> auto& { return c.calibration.runs; })
      .range(closed(1, 1e4)).doc("KMC runs, each under its own random protocol (run in parallel)");
  s.key("duration_s", [](auto& c) -> auto& { return c.calibration.duration_s; })
      .unit("s").range(closed(1e-6, 1e7)).interval("(0, 1e7]").doc("simulated time per run");
  s.key("dt_m_s", [](auto& c) -> auto& { return c.calibration.dt_m_s; })
      .unit("s").range(closed(1e-9, 1e3)).interval("(0, 1000]").doc("the compact model's step");
  s.key("v_max_v", [](auto& c) -> auto& { return c.calibration.v_max_v; })
      .unit("V").range(closed(1e-3, 15.5)).interval("(0, 15.5]").note("(the model's voltage format holds ±16 V)")
      .doc("random protocols span ±v_max");
  s.key("state_bits", [](auto& c) -> auto& { return c.calibration.state_bits; })
      .range(closed(2, 12)).doc("state grid spacing 2^-state_bits over [0, 1]");
  s.key("v_step_v", [](auto& c) -> auto& { return c.calibration.v_step_v; })
      .unit("V").range(closed(1.0 / 2048, 8)).accept(power_of_two).phrase("a power of two volts in [2^-11, 8]")
      .doc("voltage grid spacing");
  s.key("noise_lag_s", [](auto& c) -> auto& { return c.calibration.noise_lag_s; })
      .unit("s").range(closed(1e-9, 1e4)).interval("(0, 10000]")
      .doc("lag L over which the cross-device noise variance is measured (then divided by its steps)");
  s.key("state_variables", [](auto& c) -> auto& { return c.calibration.state_variables; })
      .range(closed(1, 2)).phrase("1 (readout state only) or 2 (slow state + fast fluctuation)")
      .doc("2: slow state s plus fast fluctuation δ (the shipped model); 1: s alone, its noise the whole lagged "
           "variance (kept to reproduce the comparison in docs/compact-model.md)");
  return s.done();
}

}  // namespace ionrail::config::detail
