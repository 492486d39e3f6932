// Speed of the rail KMC engine on the CPU. Items are ion-hop attempts.
#include <benchmark/benchmark.h>

#include <memory>
#include <thread>
#include <vector>


#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/kmc/sync_solver.hpp>
#include <ionrail/model/dispatch.hpp>

#include "../kmc/src/sweep_avx512.hpp"
#include "busy_neighbour.hpp"

namespace {

using namespace ionrail::kmc;

device_params bench_device(int rails) {
  device_params d;  // 100 nm, 100 sites, fill 1/3, space charge on (c0 = 2e23 m^-3)
  d.rails = rails;
  return d;
}

// One sync step (two half-sweeps, field refresh, histogram) per iteration.
void BM_kmc_sync_step(benchmark::State& state) {
  sim_params sim;
  sim.threads = static_cast<int>(state.range(1));
  sim.adaptive_threads = false;  // exactly this many threads in every step
  sim.seed = 42;
  engine e(bench_device(static_cast<int>(state.range(0))), sim, std::make_shared<constant_voltage>(2.0));
  for (auto _ : state) e.step();
  const double ions = static_cast<double>(e.model().rails()) * e.model().ions_per_rail();
  state.SetItemsProcessed(static_cast<int64_t>(ions * static_cast<double>(state.iterations())));
  state.counters["threads"] = static_cast<double>(e.info().threads);
}
// Threads: 1, 2 and, on a larger machine, every hardware thread.
void sync_step_args(benchmark::internal::Benchmark* b) {
  std::vector<int64_t> threads{1, 2};
  if (const auto all = static_cast<int64_t>(std::thread::hardware_concurrency()); all > 2) threads.push_back(all);
  b->ArgNames({"rails", "threads"});
  b->ArgsProduct({{1000, 10000, 100000, 1000000}, threads});
}
BENCHMARK(BM_kmc_sync_step)
    ->Apply(sync_step_args)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

using ionrail::bench::busy_neighbour;

// The sync step with one other busy process on the machine: threads fixed
// (adaptive:0) or chosen per step by the thread governor (adaptive:1). With a
// fixed count, a thread descheduled in favour of the neighbour holds up the
// others at every step's barrier; the governor must never be slower than one
// thread (issue 21's bar).
void BM_kmc_sync_step_contended(benchmark::State& state) {
  sim_params sim;
  sim.threads = static_cast<int>(state.range(1));
  sim.adaptive_threads = state.range(2) != 0;
  sim.seed = 42;
  engine e(bench_device(static_cast<int>(state.range(0))), sim, std::make_shared<constant_voltage>(2.0));
  const busy_neighbour neighbour;
  for (auto _ : state) e.step();
  const double ions = static_cast<double>(e.model().rails()) * e.model().ions_per_rail();
  state.SetItemsProcessed(static_cast<int64_t>(ions * static_cast<double>(state.iterations())));
  state.counters["threads_mean"] = e.info().threads_mean;
}
BENCHMARK(BM_kmc_sync_step_contended)
    ->ArgNames({"rails", "threads", "adaptive"})
    ->Args({10000, 1, 0})
    ->Args({10000, 2, 0})
    ->Args({10000, 2, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The governor on a quiet machine: it must settle on all threads.
void BM_kmc_sync_step_adaptive(benchmark::State& state) {
  sim_params sim;
  sim.threads = static_cast<int>(state.range(1));
  sim.seed = 42;
  engine e(bench_device(static_cast<int>(state.range(0))), sim, std::make_shared<constant_voltage>(2.0));
  for (auto _ : state) e.step();
  const double ions = static_cast<double>(e.model().rails()) * e.model().ions_per_rail();
  state.SetItemsProcessed(static_cast<int64_t>(ions * static_cast<double>(state.iterations())));
  state.counters["threads_mean"] = e.info().threads_mean;
}
BENCHMARK(BM_kmc_sync_step_adaptive)
    ->ArgNames({"rails", "threads"})
    ->Args({1000, 2})
    ->Args({10000, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// One exact BKL event on a small film with space charge: every event refreshes
// the field and the rates (the reference method; slow by design).
void BM_kmc_bkl_event(benchmark::State& state) {
  device_params d = bench_device(static_cast<int>(state.range(0)));
  d.sites = 50;
  sim_params sim;
  sim.solver = method::bkl;
  engine e(d, sim, std::make_shared<constant_voltage>(1.0));
  for (auto _ : state) e.step();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_kmc_bkl_event)->ArgName("rails")->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace

// The draws of the sync sweep alone: one (half, group) of a 256-rail block,
// 1024 Philox4x32-10 words. kernel:0 is the portable loop of
// sync_solver::sweep_block (GCC's vectorisation, dispatched like it);
// kernel:1 the AVX-512 kernel's. Items are words, i.e. attempts.
IONRAIL_HOT_CLONES void portable_draws(std::uint64_t seed, std::uint64_t step, std::uint32_t group, int first_rail,
                                       std::uint32_t* draws) {
  constexpr int len = sync_solver::block_rails;
  for (int i = 0; i < len; ++i) {
    const auto out = philox_draw(sync_hop_counter(seed, step, 0, static_cast<std::uint32_t>(first_rail + i), group));
    for (int k = 0; k < 4; ++k) draws[k * len + i] = out.v[k];
  }
}

void BM_kmc_philox_draws(benchmark::State& state) {
  const bool vector = state.range(0) != 0;
  if (vector && !ionrail::kmc::detail::avx512_sweep_available()) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  alignas(64) std::uint32_t draws[4 * sync_solver::block_rails];
  std::uint64_t step = 0;
  for (auto _ : state) {
    if (vector)
      ionrail::kmc::detail::avx512_draws(42, step, 0, 1, 512, sync_solver::block_rails, draws);
    else
      portable_draws(42, step, 1, 512, draws);
    benchmark::DoNotOptimize(draws);
    benchmark::ClobberMemory();
    ++step;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 4 * sync_solver::block_rails);
}
BENCHMARK(BM_kmc_philox_draws)->ArgName("kernel")->Arg(0)->Arg(1);

BENCHMARK_MAIN();
