#pragma once
// The time-averaged site occupancy of every rail, and its mean and standard
// error over the rails. Each sample adds every rail's occupancy (0 or 1 per
// site: a site holds at most one ion of any species); at the end each rail's
// occupancy is averaged over its samples, and per site the mean over rails
// is reported with the standard error across rails, sd / sqrt(rails): the
// rails are independent samples given the mean field. Memory: rails × sites
// doubles (integer counts held exactly up to 2^53 samples).
#include <cstdint>
#include <vector>

#include <ionrail/kmc/rail_model.hpp>

namespace ionrail::kmc {

class state_writer;
class state_reader;

struct site_profile {
  std::vector<double> occupancy;     // per site: mean over rails of the rail's time average
  std::vector<double> standard_error;  // per site: sd over rails / sqrt(rails); NaN with one rail
};

class site_average {
 public:
  site_average() = default;
  site_average(int rails, int sites);

  int rails() const { return rails_; }
  int sites() const { return sites_; }
  std::uint64_t samples() const { return samples_; }
  bool empty() const { return rails_ == 0; }

  // One sample: the model's positions now (read them via engine::model(),
  // which brings a GPU backend's positions to the host first).
  void add(const rail_model& model);
  // Mean and standard error per site; all NaN before the first sample.
  site_profile result() const;

  // Checkpoints: the sizes, the sample count and the sums, bit for bit.
  void save(state_writer& out) const;
  // Throws state_error where the sizes are not rails × sites.
  void load(state_reader& in, int rails, int sites);

  // The bytes it holds for rails × sites.
  static double memory_bytes(double rails, double sites) { return rails * sites * 8.0; }

 private:
  int rails_ = 0;
  int sites_ = 0;
  std::uint64_t samples_ = 0;
  std::vector<double> sum_;  // rails × sites, rail-major: occupied samples of site i on rail r
};

}  // namespace ionrail::kmc
