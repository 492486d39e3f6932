#pragma once
// How many of its threads a parallel step should use, chosen by measuring.
//
// Every sync step ends at a barrier. When another process holds a core, one
// of the solver's threads is descheduled for a whole time slice in many
// steps while the others spin at the barrier: two threads then ran 2 to 15
// times slower than one (docs/performance.md, "Shared machines"). The
// results do not depend on the thread count (counter-based draws per rail,
// integer histograms), so the count can change from step to step: the
// governor runs the best count measured so far and, now and then, a few
// steps with another, keeping the faster. On a quiet machine it settles on
// all threads; with a busy neighbour on fewer, so that using more threads is
// never slower than using one.
#include <vector>

namespace ionrail::kmc {

class thread_governor {
 public:
  // Candidates: max_threads, then halved down to 1. fixed: always max_threads.
  explicit thread_governor(int max_threads, bool fixed = false);

  // The count for the next step.
  int threads() const { return candidates_[current_]; }
  // The wall time of the step just taken with threads().
  void record(double seconds);

  int max_threads() const { return candidates_.front(); }
  const std::vector<int>& candidates() const { return candidates_; }
  // Mean seconds per step measured for candidate k (0 before any).
  double seconds_per_step(int k) const { return mean_[k]; }

  // Probing: `probe_steps` steps with the next candidate once every `period`
  // steps of the best; the period doubles while probes confirm the best (up
  // to max_period) and starts again at min_period when the best changes.
  static constexpr int probe_steps = 3;
  static constexpr int min_period = 16;
  static constexpr int max_period = 1024;

 private:
  std::vector<int> candidates_;
  std::vector<double> mean_;  // exponential moving average of a step's time
  int best_ = 0;
  int current_ = 0;
  int probe_next_ = 1;   // the candidate the next probe tries
  int left_ = min_period;  // steps left in the current phase
  int period_ = min_period;
  bool probing_ = false;
};

}  // namespace ionrail::kmc
