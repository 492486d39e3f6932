#pragma once
// The voltage applied to the left electrode as a function of time (the right
// one is grounded). Protocols (relax, sweep, pulses, waveform) are voltage
// sources; the solvers only ever ask for V(t).
#include <string>
#include <vector>

namespace ionrail::kmc {

// The breakpoints of a piecewise-linear V(t): times strictly increasing, V
// held before the first and after the last (one point: a constant).
struct drive_breakpoints {
  std::vector<double> times_s;
  std::vector<double> volts;
};

class voltage_source {
 public:
  virtual ~voltage_source() = default;
  virtual double voltage(double t_s) const = 0;
  // Largest |V| the source ever applies: bounds the field for the automatic step.
  virtual double max_abs_voltage() const = 0;
  // The source as breakpoints, for the automatic step (which bounds the
  // drive's change per step and lands on the breakpoints) and for backends
  // that evaluate V(t) themselves. Empty: the source is not piecewise linear;
  // the sync step then follows only p_max and dt_max_s.
  virtual drive_breakpoints breakpoints() const { return {}; }
};

class constant_voltage final : public voltage_source {
 public:
  explicit constant_voltage(double volts);
  double voltage(double t_s) const override;
  double max_abs_voltage() const override;
  drive_breakpoints breakpoints() const override { return {{0.0}, {volts_}}; }

 private:
  double volts_;
};

// Linear between breakpoints, held at the first value before the first time
// and at the last value after the last. Times must be finite and strictly
// increasing; `origin` names the data in error messages (e.g. a CSV path).
class piecewise_linear_voltage final : public voltage_source {
 public:
  piecewise_linear_voltage(std::vector<double> times_s, std::vector<double> volts, const std::string& origin = "waveform");
  double voltage(double t_s) const override;
  double max_abs_voltage() const override;
  drive_breakpoints breakpoints() const override { return {times_, volts_}; }
  double end_time_s() const { return times_.back(); }
  const std::vector<double>& times_s() const { return times_; }
  const std::vector<double>& volts() const { return volts_; }

 private:
  std::vector<double> times_;
  std::vector<double> volts_;
};

}  // namespace ionrail::kmc
