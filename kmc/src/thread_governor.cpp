#include <ionrail/kmc/thread_governor.hpp>

#include <algorithm>

namespace ionrail::kmc {

thread_governor::thread_governor(int max_threads, bool fixed) {
  const int top = std::max(1, max_threads);
  candidates_.push_back(top);
  if (!fixed)
    for (int t = top / 2; t >= 1; t /= 2) candidates_.push_back(t);
  if (!fixed && candidates_.back() != 1) candidates_.push_back(1);
  mean_.assign(candidates_.size(), 0.0);
}

void thread_governor::record(double seconds) {
  if (candidates_.size() == 1) return;
  double& m = mean_[current_];
  // The best is measured every step and follows slowly; a probe's few steps
  // must count fully (its first step also pays for waking the threads).
  const double weight = probing_ ? 0.5 : 0.05;
  m = m > 0 ? m + weight * (seconds - m) : seconds;
  if (--left_ > 0) return;
  if (probing_) {
    // The probe is over: keep whichever is faster now.
    const int previous = best_;
    for (int k = 0; k < static_cast<int>(candidates_.size()); ++k)
      if (mean_[k] > 0 && mean_[k] < mean_[best_]) best_ = k;
    period_ = best_ == previous ? std::min(2 * period_, max_period) : min_period;
    probe_next_ = probe_next_ + 1 < static_cast<int>(candidates_.size()) ? probe_next_ + 1 : 0;
    current_ = best_;
    left_ = period_;
    probing_ = false;
  } else {
    if (probe_next_ == best_) probe_next_ = probe_next_ + 1 < static_cast<int>(candidates_.size()) ? probe_next_ + 1 : 0;
    current_ = probe_next_;
    left_ = probe_steps;
    probing_ = true;
  }
}

}  // namespace ionrail::kmc
