// Speed of the Verilated 64 × 64 crossbar (ionrail_crossbar, kat table of
// tests/kat): one iteration is one operation from start to done. Counters:
// cycles/s (clock cycles simulated per second) and items/s = device updates
// per second (every device steps in a relaxing write; a read reads every
// device). lanes:1 is the sequential crossbar (64 datapaths, one column per
// cycle, 65 cycles per operation), lanes:8 eight columns per cycle (512
// datapaths, 9 cycles).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include <verilated.h>

#include <ionrail/model/device.hpp>
#include <ionrail/model/rng.hpp>

#include "Vbench_lanes1.h"
#include "Vbench_lanes8.h"

namespace {

namespace m = ionrail::model;

constexpr int rows = 64, cols = 64;

template <class V>
struct dut {
  VerilatedContext ctx;
  std::unique_ptr<V> top;
  std::uint64_t cycles = 0;
  dut() : top(new V{&ctx}) {
    top->clk = 0;
    top->eval();
  }
  void tick() {
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
    ++cycles;
  }
};

template <class V>
void BM_rtl_crossbar(benchmark::State& state, bool write) {
  dut<V> d;
  V& top = *d.top;
  top.rst = 1;
  d.tick();
  top.rst = 0;
  // Every device drawn with variation, at s = 0.5, noise on.
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const m::device x = m::make_device(m::device_seed(7, static_cast<std::uint64_t>(r * cols + c)),
                                         m::variation_params::from_si(0.05, 2e-6), m::q_state::from_double(0.5), true);
      top.cfg_we = 1;
      top.cfg_row = static_cast<std::uint8_t>(r);
      top.cfg_col = static_cast<std::uint8_t>(c);
      top.cfg_state = static_cast<std::uint32_t>(x.state.raw());
      top.cfg_fluct = static_cast<std::uint32_t>(x.fluct.raw());
      top.cfg_gain = static_cast<std::uint32_t>(x.gain.raw());
      top.cfg_offset = static_cast<std::uint32_t>(x.g_offset.raw());
      top.cfg_rng = x.rng;
      top.cfg_noise = x.noise;
      d.tick();
    }
  top.cfg_we = 0;
  // Alternating ±1 V pulses on rows and columns, relaxation on: every
  // device steps in every write.
  for (int r = 0; r < rows; ++r) top.v_row[r] = static_cast<std::uint16_t>(r % 2 ? 2048 : -2048);
  for (int c = 0; c < cols; ++c) top.v_col[c] = static_cast<std::uint16_t>(c % 3 ? 1024 : 0);
  top.op_write = write;
  top.relax = 1;
  d.cycles = 0;
  for (auto _ : state) {
    top.start = 1;
    d.tick();
    top.start = 0;
    while (!top.done) d.tick();
  }
  benchmark::DoNotOptimize(top.i_col[0]);
  state.counters["cycles/s"] = benchmark::Counter(static_cast<double>(d.cycles), benchmark::Counter::kIsRate);
  state.counters["cycles/op"] = benchmark::Counter(static_cast<double>(d.cycles) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * rows * cols);
  top.final();
}

}  // namespace

int main(int argc, char** argv) {
  for (const bool write : {true, false}) {
    const std::string op = write ? "write" : "read";
    benchmark::RegisterBenchmark(("BM_rtl_crossbar/rows:64/cols:64/lanes:1/op:" + op).c_str(),
                                 [write](benchmark::State& s) { BM_rtl_crossbar<Vbench_lanes1>(s, write); });
    benchmark::RegisterBenchmark(("BM_rtl_crossbar/rows:64/cols:64/lanes:8/op:" + op).c_str(),
                                 [write](benchmark::State& s) { BM_rtl_crossbar<Vbench_lanes8>(s, write); });
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
