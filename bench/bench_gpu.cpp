// Speed of the CUDA sync solver: GPU time from CUDA events (UseManualTime).
// Items are ion-hop attempts. Reports an error (and measures nothing) without a GPU.
#include <benchmark/benchmark.h>

#include <memory>

#include <ionrail/gpu/cuda_backend.hpp>
#include <ionrail/kmc/engine.hpp>

namespace {

using namespace ionrail::kmc;

void BM_kmc_gpu_step(benchmark::State& state) {
  if (!ionrail::gpu::cuda_available()) {
    state.SkipWithError(("no GPU: " + ionrail::gpu::device_description()).c_str());
    return;
  }
  device_params d;  // 100 sites, 100 nm, fill 1/3, space charge on (c0 = 2e23 m^-3)
  d.rails = static_cast<int>(state.range(0));
  engine e(d, sim_params{}, std::make_shared<constant_voltage>(2.0), ionrail::gpu::cuda_sync_backend());
  constexpr int steps = 20;
  ionrail::gpu::timed_gpu_steps(e, 5);  // warm up
  for (auto _ : state) state.SetIterationTime(ionrail::gpu::timed_gpu_steps(e, steps));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * steps * d.rails * e.model().ions_per_rail());
  state.SetLabel(ionrail::gpu::device_description());
}
BENCHMARK(BM_kmc_gpu_step)->ArgName("rails")->Arg(10000)->Arg(100000)->Arg(1000000)->Arg(10000000)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
