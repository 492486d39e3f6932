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
  // A governor starts from the count the last one in this process found best
  // (if it is a candidate), else from max_threads.
  explicit thread_governor(int max_threads, bool fixed = false);

  // Forgets what earlier governors of this process found (each test starts clean).
  static void forget_history();

  // The count for the next step.
  int threads() const { return candidates_[current_]; }
  // The wall time of the step just taken with threads().
  void record(double seconds);

  int max_threads() const { return candidates_.front(); }
  const std::vector<int>& candidates() const { return candidates_; }
  // Mean seconds per step of candidate k in its last phase (0 before any).
  double seconds_per_step(int k) const { return mean_[k]; }

  // Probing: a probe runs the next candidate for at least `probe_steps`
  // steps and `probe_s` seconds, once every period of the best; the period
  // (at least min_period steps, and min_period_s seconds doubling while
  // probes confirm the best, up to max_period_s) starts again when the best
  // changes. Both sides of a comparison are fresh: the best's mean over the
  // period just run against the probe's mean. Under contention a step's time
  // is bimodal (every thread ran, or one waited out a scheduler time slice
  // of several ms), so both phases span several time slices, and a probe
  // must win by `margin` to take over. On a quiet machine the probes cost
  // about probe_s / max_period_s of the run (1 %).
  static constexpr int probe_steps = 8;
  static constexpr double probe_s = 0.025;
  static constexpr int min_period = 16;
  static constexpr double min_period_s = 0.1;
  static constexpr double max_period_s = 2.0;
  static constexpr double margin = 0.05;

 private:
  std::vector<int> candidates_;
  std::vector<double> mean_;  // each candidate's mean step time in its last phase
  int best_ = 0;
  int current_ = 0;
  int probe_next_ = 1;  // the candidate the next probe tries
  bool probing_ = false;
  double period_s_ = min_period_s;
  double phase_seconds_ = 0;
  int phase_steps_ = 0;
};

}  // namespace ionrail::kmc
