#include <ionrail/kmc/thread_governor.hpp>

#include <algorithm>
#include <atomic>

namespace ionrail::kmc {
namespace {
// What the last governor to finish a probe found best, for the next one to
// start from: a command runs many short engines (variants, sweep points,
// the demo's experiments), and conditions outlive each of them.
std::atomic<int> last_best_threads{0};
}  // namespace

thread_governor::thread_governor(int max_threads, bool fixed) {
  const int top = std::max(1, max_threads);
  candidates_.push_back(top);
  if (!fixed)
    for (int t = top / 2; t >= 1; t /= 2) candidates_.push_back(t);
  if (!fixed && candidates_.back() != 1) candidates_.push_back(1);
  mean_.assign(candidates_.size(), 0.0);
  const int hint = last_best_threads.load(std::memory_order_relaxed);
  for (int k = 1; k < static_cast<int>(candidates_.size()); ++k)
    if (candidates_[k] == hint) best_ = current_ = k;
  probe_next_ = best_ == 0 ? 1 : 0;
}

void thread_governor::forget_history() { last_best_threads.store(0, std::memory_order_relaxed); }

void thread_governor::record(double seconds) {
  if (candidates_.size() == 1) return;
  phase_seconds_ += seconds;
  ++phase_steps_;
  const bool over = probing_ ? phase_steps_ >= probe_steps && phase_seconds_ >= probe_s
                             : phase_steps_ >= min_period && phase_seconds_ >= period_s_;
  if (!over) return;
  mean_[current_] = phase_seconds_ / phase_steps_;
  phase_seconds_ = 0;
  phase_steps_ = 0;
  const int n = static_cast<int>(candidates_.size());
  if (probing_) {
    // The probe is over: it takes over only if clearly faster than the best
    // was over the period just run.
    const bool better = mean_[current_] < (1 - margin) * mean_[best_];
    if (better) best_ = current_;
    last_best_threads.store(candidates_[best_], std::memory_order_relaxed);
    period_s_ = better ? min_period_s : std::min(2 * period_s_, max_period_s);
    probe_next_ = (probe_next_ + 1) % n;
    current_ = best_;
    probing_ = false;
  } else {
    if (probe_next_ == best_) probe_next_ = (probe_next_ + 1) % n;
    current_ = probe_next_;
    probing_ = true;
  }
}

}  // namespace ionrail::kmc
