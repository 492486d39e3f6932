#include <ionrail/kmc/voltage_source.hpp>

#include <ionrail/kmc/physics.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ionrail::kmc {

constant_voltage::constant_voltage(double volts) : volts_(volts) {
  if (!std::isfinite(volts)) throw std::invalid_argument("voltage_v: must be finite, got " + std::to_string(volts));
}
double constant_voltage::voltage(double) const { return volts_; }
double constant_voltage::max_abs_voltage() const { return std::fabs(volts_); }

piecewise_linear_voltage::piecewise_linear_voltage(std::vector<double> times_s, std::vector<double> volts,
                                                   const std::string& origin)
    : times_(std::move(times_s)), volts_(std::move(volts)) {
  if (times_.empty() || times_.size() != volts_.size())
    throw std::invalid_argument(origin + ": need at least one (time_s, volts) point and equal column lengths");
  for (std::size_t i = 0; i < times_.size(); ++i) {
    if (!std::isfinite(times_[i]) || !std::isfinite(volts_[i]))
      throw std::invalid_argument(origin + ": point " + std::to_string(i + 1) + " is not finite");
    if (i > 0 && !(times_[i] > times_[i - 1]))
      throw std::invalid_argument(origin + ": time_s must increase strictly, point " + std::to_string(i + 1) +
                                  " has " + std::to_string(times_[i]) + " after " + std::to_string(times_[i - 1]));
  }
}

double piecewise_linear_voltage::voltage(double t_s) const {
  return piecewise_linear_at(times_.data(), volts_.data(), static_cast<int>(times_.size()), t_s);
}

double piecewise_linear_voltage::max_abs_voltage() const {
  double m = 0.0;
  for (double v : volts_) m = std::max(m, std::fabs(v));
  return m;
}

}  // namespace ionrail::kmc
