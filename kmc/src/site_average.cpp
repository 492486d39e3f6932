#include <ionrail/kmc/site_average.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <ionrail/kmc/state_io.hpp>

namespace ionrail::kmc {

site_average::site_average(int rails, int sites) : rails_(rails), sites_(sites) {
  if (rails < 1 || sites < 1) throw std::invalid_argument("site_average: rails and sites must be >= 1");
  sum_.assign(static_cast<std::size_t>(rails) * static_cast<std::size_t>(sites), 0.0);
}

void site_average::add(const rail_model& model) {
  const rail_positions& p = model.positions();
  if (p.rails != rails_ || p.sites != sites_)
    throw std::invalid_argument("site_average: a model of " + std::to_string(p.rails) + " rails x " +
                                std::to_string(p.sites) + " sites, the average holds " + std::to_string(rails_) +
                                " x " + std::to_string(sites_));
  const auto L = static_cast<std::size_t>(sites_);
  for (int j = 0; j < p.ions; ++j) {
    const std::uint16_t* row = p.row(j);
    for (int r = 0; r < p.rails; ++r) sum_[static_cast<std::size_t>(r) * L + (row[r] - 1u)] += 1.0;
  }
  ++samples_;
}

site_profile site_average::result() const {
  site_profile out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.occupancy.assign(static_cast<std::size_t>(sites_), nan);
  out.standard_error.assign(static_cast<std::size_t>(sites_), nan);
  if (samples_ == 0 || rails_ == 0) return out;
  const double n = static_cast<double>(samples_), R = rails_;
  const auto L = static_cast<std::size_t>(sites_);
  // Two passes, rails in order: the same bits whatever ran the rails.
  for (std::size_t i = 0; i < L; ++i) {
    double mean = 0;
    for (int r = 0; r < rails_; ++r) mean += sum_[static_cast<std::size_t>(r) * L + i] / n;
    mean /= R;
    out.occupancy[i] = mean;
    if (rails_ < 2) continue;
    double ss = 0;
    for (int r = 0; r < rails_; ++r) {
      const double d = sum_[static_cast<std::size_t>(r) * L + i] / n - mean;
      ss += d * d;
    }
    out.standard_error[i] = std::sqrt(ss / (R - 1) / R);
  }
  return out;
}

void site_average::save(state_writer& out) const {
  out.put_tag("site_average");
  out.put<std::int32_t>(rails_);
  out.put<std::int32_t>(sites_);
  out.put(samples_);
  out.put_vector(sum_);
}

void site_average::load(state_reader& in, int rails, int sites) {
  in.expect_tag("site_average");
  const auto r = in.get<std::int32_t>();
  const auto s = in.get<std::int32_t>();
  if (r != rails || s != sites)
    in.fail("a time-averaged profile of " + std::to_string(r) + " rails x " + std::to_string(s) +
            " sites, this configuration has " + std::to_string(rails) + " x " + std::to_string(sites));
  const auto samples = in.get<std::uint64_t>();
  std::vector<double> sum;
  in.get_vector(sum, static_cast<std::size_t>(rails) * static_cast<std::size_t>(sites), "time-averaged profile");
  for (double v : sum)
    if (!(v >= 0 && v <= static_cast<double>(samples) && v == std::floor(v)))
      in.fail("a time-averaged profile with a count outside [0, samples]");
  rails_ = rails;
  sites_ = sites;
  samples_ = samples;
  sum_ = std::move(sum);
}

}  // namespace ionrail::kmc
