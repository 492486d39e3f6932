// The thread governor (kmc::thread_governor) with synthetic step times: it
// settles on the faster thread count, probes rarely once settled, follows a
// change of conditions, is not fooled by a few lucky steps, and keeps the
// count fixed when asked to.
#include <gtest/gtest.h>

#include <functional>

#include <ionrail/kmc/thread_governor.hpp>

namespace {

using ionrail::kmc::thread_governor;

// Runs `steps` steps whose time is seconds(threads); returns how many used each count.
std::vector<int> drive(thread_governor& g, int steps, const std::function<double(int)>& seconds) {
  std::vector<int> used(g.max_threads() + 1, 0);
  for (int k = 0; k < steps; ++k) {
    const int t = g.threads();
    ++used[t];
    g.record(seconds(t));
  }
  return used;
}

TEST(ThreadGovernor, CandidatesHalveDownToOne) {
  EXPECT_EQ(thread_governor(1).candidates(), std::vector<int>({1}));
  EXPECT_EQ(thread_governor(2).candidates(), std::vector<int>({2, 1}));
  EXPECT_EQ(thread_governor(6).candidates(), std::vector<int>({6, 3, 1}));
  EXPECT_EQ(thread_governor(16).candidates(), std::vector<int>({16, 8, 4, 2, 1}));
  EXPECT_EQ(thread_governor(16, true).candidates(), std::vector<int>({16}));
  EXPECT_EQ(thread_governor(0).candidates(), std::vector<int>({1}));
}

TEST(ThreadGovernor, QuietMachineSettlesOnAllThreadsAndProbesRarely) {
  thread_governor::forget_history();
  thread_governor g(2);
  // Two threads 1.9x faster, as measured at 10^4 rails on a quiet machine.
  const auto used = drive(g, 20000, [](int t) { return t == 2 ? 300e-6 : 570e-6; });
  EXPECT_EQ(g.threads(), 2);
  // Probes back off to one of 25 ms every 2 s: about 1 % of the steps with one thread.
  EXPECT_LT(used[1], 400) << used[1];
  EXPECT_GT(used[1], 0);  // it does keep checking
}

TEST(ThreadGovernor, BusyNeighbourMovesItToFewerThreads) {
  thread_governor::forget_history();
  thread_governor g(2);
  drive(g, 2000, [](int t) { return t == 2 ? 300e-6 : 570e-6; });
  ASSERT_EQ(g.threads(), 2);
  // A neighbour starts: two threads now wait at every barrier (measured 4x).
  const auto busy = drive(g, 5000, [](int t) { return t == 2 ? 2400e-6 : 700e-6; });
  EXPECT_GT(busy[1], 4500) << "one thread in only " << busy[1] << " of 5000 steps";
  // It leaves again: back to two threads at the next probe (at most 2 s).
  const auto quiet = drive(g, 20000, [](int t) { return t == 2 ? 300e-6 : 570e-6; });
  EXPECT_EQ(g.threads(), 2);
  EXPECT_GT(quiet[2], 12000) << quiet[2];
}

// Under contention two threads' steps are bimodal: mostly fast, but every
// fifth waits out a 10 ms time slice (mean 2.3 ms, against 0.7 ms for one
// thread). Short runs of fast steps must not win a probe.
TEST(ThreadGovernor, BimodalStepsAreJudgedByTheirMean) {
  thread_governor::forget_history();
  thread_governor g(2);
  int k = 0;
  const auto used = drive(g, 20000, [&](int t) {
    if (t == 1) return 700e-6;
    return ++k % 5 == 0 ? 10e-3 + 370e-6 : 370e-6;
  });
  EXPECT_GT(used[1], 18000) << "one thread in only " << used[1] << " of 20000 steps";
}

TEST(ThreadGovernor, ManyThreadsFindTheBestCount) {
  thread_governor::forget_history();
  thread_governor g(16);
  // Eight cores free: 8 threads best, 16 oversubscribed.
  drive(g, 100000, [](int t) { return t == 16 ? 4e-4 : t == 8 ? 1e-4 : 1e-4 * 8.0 / t; });
  EXPECT_EQ(g.threads(), 8);
}

// A new governor (the next variant, point or experiment) starts from what
// the last one found, instead of re-learning it in every short run.
TEST(ThreadGovernor, NextGovernorStartsFromTheLastBest) {
  thread_governor::forget_history();
  {
    thread_governor g(2);
    drive(g, 5000, [](int t) { return t == 2 ? 2400e-6 : 700e-6; });
    ASSERT_EQ(g.threads(), 1);
  }
  thread_governor next(2);
  EXPECT_EQ(next.threads(), 1);
  thread_governor other(8);  // 1 is a candidate of 8 threads too
  EXPECT_EQ(other.threads(), 1);
  thread_governor::forget_history();
  EXPECT_EQ(thread_governor(2).threads(), 2);
}

TEST(ThreadGovernor, FixedCountNeverChanges) {
  thread_governor::forget_history();
  thread_governor g(4, true);
  const auto used = drive(g, 1000, [](int t) { return t * 1e-3; });
  EXPECT_EQ(used[4], 1000);
}

}  // namespace
